// Durability: restarts keep rooms, shutdown flushes, idle rooms unload and reload, acks mean durable, kill -9 loses nothing acked.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningRelay } from '../../relay/index.js';
import { LOG_MAGIC } from '../../relay/record-log.js';
import { UNLOAD_COMPACT_LOG_BYTES } from '../../relay/room-manager.js';
import { roomDir } from '../../relay/room-paths.js';
import { getMessages, newMessageId, sendMessage, type MessageRecord } from '../../shared/conversation.js';
import {
  SECRET,
  applyReceived,
  connectProvider,
  decodeServerFrame,
  exportDoc,
  frames,
  metric,
  mintToken,
  rawClient,
  synced,
  textsOf,
  useTestRelay,
  waitFor,
} from './helpers.js';

/**
 * A local writer for user `sub` (its token's `sub`) that turns each sent message into one update frame.
 * `direct` builds the record exactly as sendMessage does, without re-reading the log each time (for
 * bursts of thousands, where sendMessage's O(n) read per call would make the pump O(n²)).
 */
const writer = (sub = 'user-ada', { direct = false } = {}) => {
  const doc = new Y.Doc();
  const pending: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => pending.push(u));
  return {
    doc,
    push(text: string): Uint8Array {
      if (direct) {
        const record: MessageRecord = { id: newMessageId(), author: sub, text, createdAt: Date.now() };
        doc.getArray<MessageRecord>('messages').push([record]);
      } else {
        sendMessage(doc, { userId: sub, role: 'write' }, { text });
      }
      expect(pending.length).toBe(1);
      return frames.update(pending.shift()!, 2);
    },
  };
};

const ada = { userId: 'user-ada', role: 'write' } as const;
/** The numbers 0 … n-1 as message texts. */
const numbered = (n: number): string[] => [...Array(n).keys()].map(String);

const acksOf = (frames: Uint8Array[]) =>
  frames.map(decodeServerFrame).filter((m): m is Extract<typeof m, { type: 'ack' }> => m.type === 'ack');

describe('durability', () => {
  describe('restart', () => {
    const server = useTestRelay({});

    it('keeps every room across a restart', async () => {
      let { relay } = server;
      const rooms = ['alpha', 'beta', 'Gamma', 'gamma', 'd.e-l~t_a'];
      for (const room of rooms) {
        const p = connectProvider(relay, room, await mintToken());
        await synced(p);
        sendMessage(p.doc, ada, { text: `hello ${room}` });
        await waitFor(async () => getMessages(await exportDoc(relay, room)).length === 1, 5000, `the message in ${room} stored`);
        p.destroy();
      }
      relay = await server.restart();
      for (const room of rooms) {
        expect(textsOf(await exportDoc(relay, room))).toEqual([`hello ${room}`]);
      }
    });
  });

  describe('graceful shutdown', () => {
    const server = useTestRelay({ compactLogBytes: 1 << 30 });

    it('flushes everything on graceful shutdown and closes clients with 1012', async () => {
      let { relay } = server;
      const token = await mintToken();
      const sender = rawClient(relay, 'flush', { token });
      const watcher = rawClient(relay, 'flush', { token: await mintToken({ sub: 'watcher' }) });
      await Promise.all([sender.opened, watcher.opened]);
      const w = writer();
      for (let i = 0; i < 100; i++) sender.send(w.push(String(i)));
      // Once the watcher saw the last update the relay has applied it; close at once, without waiting for disk.
      // (Counted as messages, not frames: the relay also forwards its own client-binding updates.)
      await waitFor(() => {
        const seen = new Y.Doc();
        applyReceived(watcher, seen);
        return getMessages(seen).length === 100;
      }, 5000, 'fan-out');
      await server.stop();
      expect((await sender.closedWith()).code).toBe(1012);
      expect((await watcher.closedWith()).reason).toBe('relay shutting down');
      relay = await server.restart();
      expect(textsOf(await exportDoc(relay, 'flush'))).toEqual(numbered(100));
    });
  });

  describe('idle unload', () => {
    const server = useTestRelay({ idleUnloadMs: 150 });

    /** Writes one update holding `texts` as messages to `room`, lets it unload, and returns its directory. */
    const writeAndUnload = async (room: string, texts: string[]): Promise<string> => {
      const { relay } = server;
      const p = connectProvider(relay, room, await mintToken());
      await synced(p);
      const before = await metric(relay, 'parley_updates_in_total');
      p.doc.transact(() => {
        for (const text of texts) sendMessage(p.doc, ada, { text });
      });
      await waitFor(async () => (await metric(relay, 'parley_updates_in_total')) > before, 5000, 'the update counted');
      // The room, and the user's account document while the relay lists the room there (first connect).
      expect(await metric(relay, 'parley_rooms_loaded')).toBeGreaterThanOrEqual(1);
      p.destroy();
      await waitFor(async () => (await metric(relay, 'parley_rooms_loaded')) === 0, 5000, 'room unloaded');
      return roomDir(join(server.dataDir, 'rooms'), room);
    };
    const reloaded = async (room: string, texts: string[]) => {
      const again = connectProvider(server.relay, room, await mintToken());
      await synced(again);
      await waitFor(() => getMessages(again.doc).length === texts.length, 5000, 'every message after the reload');
      expect(textsOf(again.doc)).toEqual(texts);
      again.destroy();
    };

    it('unloads an idle room with a small log without compacting it (the log is durable) and reloads it intact', async () => {
      const texts = ['1', '2', '3'];
      const dir = await writeAndUnload('idle', texts);
      // No snapshot: the fsync'd log holds the update and is replayed on the next load.
      expect(readdirSync(dir).sort()).toEqual(['log']);
      expect(statSync(join(dir, 'log')).size).toBeGreaterThan(LOG_MAGIC.length);
      await reloaded('idle', texts);
    });

    it(`compacts an idle room on unload once its log holds ${UNLOAD_COMPACT_LOG_BYTES} bytes, and reloads it intact`, async () => {
      // Three messages of 4,000 characters: one update well above the threshold.
      const texts = ['a', 'b', 'c'].map((c) => c.repeat(4000));
      const dir = await writeAndUnload('idle-big', texts);
      expect(readdirSync(dir).sort()).toEqual(['log', 'snapshot']);
      expect(statSync(join(dir, 'log')).size).toBe(LOG_MAGIC.length);
      await reloaded('idle-big', texts);
    });
  });

  describe('durable acks', () => {
    const server = useTestRelay({});

    it('sends durable acks only to clients that asked, covering their updates', async () => {
      const { relay } = server;
      const acked = rawClient(relay, 'acks', { token: await mintToken(), acks: '1' });
      const plain = rawClient(relay, 'acks', { token: await mintToken({ sub: 'plain' }) });
      await Promise.all([acked.opened, plain.opened]);
      const a = writer('user-ada');
      const b = writer('plain');
      for (let i = 0; i < 20; i++) acked.send(a.push(`a${i}`));
      for (let i = 0; i < 5; i++) plain.send(b.push(`b${i}`));
      await waitFor(() => acksOf(acked.frames).some((m) => m.stateVector.get(a.doc.clientID) === 20), 5000, 'ack covering all 20');
      // Acks only ever grow.
      const clocks = acksOf(acked.frames).map((m) => m.stateVector.get(a.doc.clientID) ?? 0);
      expect([...clocks].sort((x, y) => x - y)).toEqual(clocks);
      await waitFor(async () => getMessages(await exportDoc(relay, 'acks')).length === 25, 5000, 'all 25 messages stored');
      expect(plain.frames.map(decodeServerFrame).filter((m) => m.type === 'ack' || m.type === 'other')).toEqual([]);
      // A duplicate (already durable) write is acknowledged at once.
      const count = acksOf(acked.frames).length;
      acked.send(frames.update(Y.encodeStateAsUpdate(a.doc)));
      await waitFor(() => acksOf(acked.frames).length > count, 5000, 'ack of a duplicate');
      acked.ws.close();
      plain.ws.close();
    });
  });

  describe('a room that fails to load', () => {
    const server = useTestRelay({});

    it('never serves a room that fails to load, and leaves its data alone', async () => {
      let { relay } = server;
      const p = connectProvider(relay, 'fragile', await mintToken());
      await synced(p);
      sendMessage(p.doc, ada, { text: 'precious' });
      await waitFor(async () => getMessages(await exportDoc(relay, 'fragile')).length === 1, 5000, 'the message stored');
      p.destroy();
      await server.stop();
      const dir = roomDir(join(server.dataDir, 'rooms'), 'fragile');
      const snapshot = join(dir, 'snapshot');
      const bytes = readFileSync(snapshot);
      bytes[20]! ^= 0xff;
      writeFileSync(snapshot, bytes);
      relay = await server.restart();
      const client = rawClient(relay, 'fragile', { token: await mintToken() });
      expect(await client.closedWith()).toEqual({ code: 1011, reason: 'room unavailable' });
      await expect(exportDoc(relay, 'fragile')).rejects.toThrow(/503/);
      expect(readFileSync(snapshot)).toEqual(bytes);
      // Other rooms are unaffected.
      const other = connectProvider(relay, 'sturdy', await mintToken());
      await synced(other);
      other.destroy();
    });
  });

  describe('SIGKILL', () => {
    const server = useTestRelay({});

    it('loses no acknowledged update when the relay process is killed with SIGKILL mid-burst', async () => {
      // The killed relay is a child process on this block's data directory; the test relay reads it back after.
      await server.stop();
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'relay/main.ts', '--port', '0', '--data-dir', server.dataDir, '--jwt-secret', SECRET, '--messages-per-second', '100000', '--log-level', 'info'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const url: string = await waitFor(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1] ?? '', 15_000, 'relay start');
      const fake = { url, port: Number(new URL(url).port), devMode: false, close: async () => {} } as RunningRelay;
      const client = rawClient(fake, 'crash', { token: await mintToken(), acks: '1' });
      await client.opened;
      const w = writer('user-ada', { direct: true });
      let sent = 0;
      let ackedSoFar = 0;
      client.ws.on('message', (data: Buffer) => {
        const message = decodeServerFrame(new Uint8Array(data));
        if (message.type === 'ack') ackedSoFar = Math.max(ackedSoFar, message.stateVector.get(w.doc.clientID) ?? 0);
      });
      // Keep writing until well after the kill: some updates are in flight, some in the log, some acked. At most
      // 2,000 unacknowledged updates, as a client would pace itself: an unbounded flood on a CPU-starved machine
      // (parallel test files) measured the backlog, not durability. Rate limits are raised for the burst.
      const pump = setInterval(() => {
        for (let i = 0; i < 20 && client.ws.readyState === client.ws.OPEN && sent - ackedSoFar < 2000; i++) client.send(w.push(String(sent++)));
      }, 2);
      await waitFor(() => acksOf(client.frames).some((m) => (m.stateVector.get(w.doc.clientID) ?? 0) >= 300), 15_000, 'acks')
        .catch((error: Error) => {
          const best = Math.max(0, ...acksOf(client.frames).map((m) => m.stateVector.get(w.doc.clientID) ?? 0));
          throw new Error(`${error.message} (sent ${sent}, acked ${best}, closed ${JSON.stringify(client.closed)}, ${client.frames.length} frames received; relay said: ${out.slice(-800)})`);
        });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      await client.closedWith(5000);
      clearInterval(pump);
      const acked = Math.max(...acksOf(client.frames).map((m) => m.stateVector.get(w.doc.clientID) ?? 0));
      expect(acked).toBeGreaterThanOrEqual(300);
      expect(sent).toBeGreaterThan(acked);

      const relay = await server.restart();
      const stored = textsOf(await exportDoc(relay, 'crash'));
      expect(stored.length).toBeGreaterThanOrEqual(acked);
      expect(stored).toEqual(numbered(stored.length));
    });
  });
});
