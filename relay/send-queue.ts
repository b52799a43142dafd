// One socket's outgoing frames under one byte budget: straight out while the peer keeps up, queued (bounded) when not.
import type { WebSocket } from 'ws';

/*
 * A frame goes to the socket at once while its buffer holds less than the low-water mark; otherwise it waits
 * in the queue, and the queue drains as the socket does (each write's callback runs once the kernel took the
 * bytes). Queued frames count against `maxQueuedBytes`: past it `send` returns false and the caller closes the
 * peer as a slow consumer. Two kinds of output are not counted, because their size does not grow with what
 * the peer fails to read:
 *  - a catch-up is a generator of bounded pieces, pulled only when the socket has drained, so a 100 MiB room
 *    reaches a slow reader while the relay holds one piece for it; at most one catch-up per key waits behind
 *    the running one (a newer request replaces a waiting one);
 *  - a "latest" frame (the durable ack) replaces the previous one for its key and goes out once the queue is
 *    empty: a newer ack says everything an older one did, so it can never be what trips the budget.
 * A peer that stops reading altogether stops draining: it cannot answer pings either, and the heartbeat
 * closes it (see heartbeat.ts). Keys name the document on a multiplexed socket ('' on a per-room one).
 */

interface QueuedFrame {
  key: string;
  frame: Uint8Array;
}

interface QueuedCatchUp {
  key: string;
  start: () => Iterator<Uint8Array>;
  running: Iterator<Uint8Array> | undefined;
}

type Queued = QueuedFrame | QueuedCatchUp;

/** What a send queue reports for metrics. */
export type OnWrite = (bytes: number) => void;

/** The net socket under a ws socket (ws keeps it in a private field), for corking and for writing shared frames. */
interface NetSocket {
  cork(): void;
  uncork(): void;
  write(chunk: Uint8Array, callback: () => void): boolean;
}
const netSocketOf = (ws: WebSocket) => (ws as unknown as { _socket?: NetSocket })._socket;

/**
 * One binary message for many sockets (a room's broadcast), framed once. A server's WebSocket frame is the payload
 * behind a header that depends on its length only (RFC 6455 §5.2: FIN + binary opcode, unmasked, 7-, 16- or 64-bit
 * length), so the same bytes go to every receiver: one buffer and one socket write per receiver, instead of a
 * header, option objects and a two-buffer writev each (what `ws.send` does per call). The relay's sockets do not
 * negotiate compression (upgrade.ts), so these are exactly the bytes `ws.send` would write.
 */
export class SharedFrame {
  /** The message as `ws.send` takes it. */
  readonly payload: Uint8Array;
  private framed: Buffer | undefined;

  constructor(payload: Uint8Array) {
    this.payload = payload;
  }

  /** Header + payload, encoded on first use (multiplexed sockets wrap the payload instead and never ask). */
  get wire(): Buffer {
    return (this.framed ??= frameBinary(this.payload));
  }
}

/** The unmasked, final, binary WebSocket frame of `payload` (RFC 6455 §5.2). */
const frameBinary = (payload: Uint8Array): Buffer => {
  const length = payload.byteLength;
  const headerBytes = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(headerBytes + length);
  out[0] = 0x82;
  if (headerBytes === 2) out[1] = length;
  else if (headerBytes === 4) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    out.writeUInt32BE(length >>> 0, 6);
  }
  out.set(payload, headerBytes);
  return out;
};

/** Queues corked during the current task; `uncorkAll` runs once after it (process.nextTick). */
const corkedQueues: SendQueue[] = [];
const uncorkAll = (): void => {
  // Uncorking writes to the socket, which can call back into a queue: take the list first.
  const queues = corkedQueues.splice(0);
  for (const queue of queues) queue.uncork();
};

/** The bounded send queue of one socket. Allocates its queue only once the socket falls behind. */
export class SendQueue {
  private readonly ws: WebSocket;
  private readonly maxQueuedBytes: number;
  private readonly lowWater: number;
  private readonly onWrite: OnWrite;
  private items: Queued[] | undefined;
  private head = 0;
  private queuedBytes = 0;
  private latest: Map<string, Uint8Array> | undefined;
  private corked = false;
  /** Called by ws once each frame was handed to the kernel: the socket drained a little. */
  private readonly drained = (): void => {
    if (this.pending()) this.pump();
  };

  constructor(ws: WebSocket, maxQueuedBytes: number, onWrite: OnWrite) {
    this.ws = ws;
    this.maxQueuedBytes = maxQueuedBytes;
    this.lowWater = Math.min(1024 * 1024, Math.max(16 * 1024, Math.floor(maxQueuedBytes / 4)));
    this.onWrite = onWrite;
  }

  /** Bytes waiting in the queue (not counting the socket's own buffer, at most the low-water mark plus one piece). */
  get waitingBytes(): number {
    return this.queuedBytes;
  }

  /** Sends or queues a frame; false when the queue is over budget (close the peer as a slow consumer). */
  send(frame: Uint8Array, key = ''): boolean {
    if (!this.pending() && this.ws.bufferedAmount < this.lowWater) {
      this.write(frame);
      return true;
    }
    (this.items ??= []).push({ key, frame });
    this.queuedBytes += frame.byteLength;
    return this.queuedBytes <= this.maxQueuedBytes;
  }

  /**
   * Sends a frame shared with other sockets (see SharedFrame): while the socket keeps up, its framed bytes are
   * written to the socket as they are; otherwise the payload is queued as `send` does. False when over budget.
   */
  sendShared(frame: SharedFrame, key = ''): boolean {
    if (!this.pending() && this.ws.bufferedAmount < this.lowWater) {
      // Only on an open socket: once ws has sent or received a close frame, no data frame may follow (ws.send
      // refuses then; bypassing it must too).
      const socket = this.ws.readyState === this.ws.OPEN ? netSocketOf(this.ws) : undefined;
      if (socket) {
        // After any frame this task corked (see `write`): the socket keeps the order of writes.
        socket.write(frame.wire, this.drained);
        this.onWrite(frame.payload.byteLength);
        return true;
      }
    }
    return this.send(frame.payload, key);
  }

  /** Sends a frame that supersedes the previous one of its key (the durable ack): never counted, never piled up. */
  sendLatest(frame: Uint8Array, key = ''): void {
    if (!this.pending() && this.ws.bufferedAmount < this.lowWater) {
      this.write(frame);
      return;
    }
    (this.latest ??= new Map()).set(key, frame);
  }

  /** Queues a catch-up produced by `start` when its turn comes, piece by piece as the socket drains. */
  catchUp(start: () => Iterator<Uint8Array>, key = ''): void {
    const items = (this.items ??= []);
    for (let i = this.head; i < items.length; i++) {
      const item = items[i]!;
      if ('start' in item && item.key === key && item.running === undefined) {
        item.start = start; // a newer request replaces one that has not started
        this.pump();
        return;
      }
    }
    items.push({ key, start, running: undefined });
    this.pump();
  }

  /** Drops everything queued for `key` (a detached document). */
  drop(key: string): void {
    this.latest?.delete(key);
    if (!this.items) return;
    const kept: Queued[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]!;
      if (item.key !== key) kept.push(item);
      else if ('frame' in item) this.queuedBytes -= item.frame.byteLength;
    }
    this.items = kept;
    this.head = 0;
  }

  /** Forgets everything (the socket is closing). */
  clear(): void {
    this.items = undefined;
    this.head = 0;
    this.queuedBytes = 0;
    this.latest = undefined;
  }

  private pending(): boolean {
    return (this.items !== undefined && this.head < this.items.length) || (this.latest !== undefined && this.latest.size > 0);
  }

  /** Writes queued output while the socket's buffer is below the low-water mark. */
  private pump(): void {
    const { ws } = this;
    while (ws.readyState === ws.OPEN && ws.bufferedAmount < this.lowWater) {
      const items = this.items;
      const item = items?.[this.head];
      if (!items || !item) {
        if (!this.latest || this.latest.size === 0) return;
        for (const frame of this.latest.values()) this.write(frame);
        this.latest.clear();
        return;
      }
      if ('frame' in item) {
        this.shift(items);
        this.queuedBytes -= item.frame.byteLength;
        this.write(item.frame);
        continue;
      }
      item.running ??= item.start();
      const next = item.running.next();
      if (next.done === true) this.shift(items);
      else this.write(next.value);
    }
  }

  private shift(items: Queued[]): void {
    items[this.head++] = undefined as never;
    if (this.head === items.length) {
      this.items = undefined;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
  }

  /** Frames written in one task leave in one write instead of one syscall each. */
  private write(frame: Uint8Array): void {
    const { ws } = this;
    const socket = netSocketOf(ws);
    if (!this.corked && socket) {
      this.corked = true;
      socket.cork();
      // Uncorked once the current task is done (all frames of one broadcast or ack batch), not a loop turn later
      // (a setImmediate here added a whole loop iteration to every delivery); one tick for all corked queues.
      if (corkedQueues.push(this) === 1) process.nextTick(uncorkAll);
    }
    ws.send(frame, this.drained);
    this.onWrite(frame.byteLength);
  }

  /** Ends this task's cork (see `write`). */
  uncork(): void {
    this.corked = false;
    netSocketOf(this.ws)?.uncork();
  }
}
