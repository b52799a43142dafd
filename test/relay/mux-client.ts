// A minimal /sync client for tests and benchmarks: auth, attach/detach, and a synced Y.Doc per attached document.
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { RunningRelay } from '../../relay/index.js';
import { waitFor } from './helpers.js';

export const Kind = { auth: 0, authOk: 1, attach: 2, detach: 3, refused: 4, message: 5, ping: 6, pong: 7 } as const;

const frame = (write: (e: encoding.Encoder) => void): Uint8Array => {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
};

/** Raw /sync frames. */
export const muxFrames = {
  auth: (token: string) => frame((e) => (encoding.writeVarUint(e, Kind.auth), encoding.writeVarString(e, token))),
  attach: (doc: string, acks = false) =>
    frame((e) => (encoding.writeVarUint(e, Kind.attach), encoding.writeVarString(e, doc), encoding.writeVarUint(e, acks ? 1 : 0))),
  detach: (doc: string) => frame((e) => (encoding.writeVarUint(e, Kind.detach), encoding.writeVarString(e, doc))),
  message: (doc: string, message: Uint8Array) =>
    frame((e) => (encoding.writeVarUint(e, Kind.message), encoding.writeVarString(e, doc), encoding.writeUint8Array(e, message))),
  ping: () => Uint8Array.of(Kind.ping),
};

const syncMessage = (step: number, payload: Uint8Array) =>
  frame((e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint(e, step), encoding.writeVarUint8Array(e, payload)));

/** One attached document on the client side. */
export interface MuxDoc {
  doc: Y.Doc;
  synced: boolean;
  /** Durable acks received (state vectors). */
  acks: Map<number, number>[];
  /** Awareness payloads received. */
  awareness: Uint8Array[];
}

/** A /sync client. */
export interface MuxClient {
  ws: WebSocket;
  opened: Promise<void>;
  docs: Map<string, MuxDoc>;
  refused: { doc: string; code: number; reason: string }[];
  authOks: { userId: string; exp: number }[];
  pongs: number;
  closed: { code: number; reason: string } | undefined;
  send(frame: Uint8Array): void;
  /** Attaches `name` with a local doc that syncs both ways (step 1 sent right after attach, as a provider does). */
  attach(name: string, options?: { acks?: boolean; doc?: Y.Doc }): MuxDoc;
  detach(name: string): void;
  closedWith(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  refusalFor(doc: string, timeoutMs?: number): Promise<{ doc: string; code: number; reason: string }>;
}

export const muxUrl = (relay: RunningRelay) => `${relay.url.replace(/^http/, 'ws')}/sync`;

/** Opens /sync and, when `token` is given, authenticates with it as its first frame. */
export const muxClient = (relay: RunningRelay, token?: string): MuxClient => {
  const ws = new WebSocket(muxUrl(relay));
  ws.binaryType = 'nodebuffer';
  const client: MuxClient = {
    ws,
    docs: new Map(),
    refused: [],
    authOks: [],
    pongs: 0,
    closed: undefined,
    opened: new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    send(data) {
      if (ws.readyState === WebSocket.OPEN) ws.send(data);
    },
    attach(name, options = {}) {
      const entry: MuxDoc = { doc: options.doc ?? new Y.Doc(), synced: false, acks: [], awareness: [] };
      client.docs.set(name, entry);
      entry.doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin !== 'relay' && client.docs.get(name) === entry) client.send(muxFrames.message(name, syncMessage(2, update)));
      });
      client.send(muxFrames.attach(name, options.acks ?? false));
      client.send(muxFrames.message(name, syncMessage(0, Y.encodeStateVector(entry.doc))));
      return entry;
    },
    detach(name) {
      client.docs.delete(name);
      client.send(muxFrames.detach(name));
    },
    closedWith(timeoutMs = 5000) {
      return waitFor(() => client.closed, timeoutMs, 'mux socket closed') as Promise<{ code: number; reason: string }>;
    },
    refusalFor(doc, timeoutMs = 5000) {
      return waitFor(() => client.refused.find((r) => r.doc === doc), timeoutMs, `refusal for ${doc}`) as Promise<{ doc: string; code: number; reason: string }>;
    },
  };
  ws.on('error', () => {});
  ws.on('close', (code, reason) => {
    client.closed = { code, reason: reason.toString() };
  });
  ws.on('message', (data: Buffer) => {
    const d = decoding.createDecoder(new Uint8Array(data));
    const kind = decoding.readVarUint(d);
    if (kind === Kind.authOk) {
      client.authOks.push({ userId: decoding.readVarString(d), exp: decoding.readVarUint(d) });
    } else if (kind === Kind.refused) {
      const doc = decoding.readVarString(d);
      client.refused.push({ doc, code: decoding.readVarUint(d), reason: decoding.readVarString(d) });
      client.docs.delete(doc);
    } else if (kind === Kind.pong) {
      client.pongs++;
    } else if (kind === Kind.message) {
      const name = decoding.readVarString(d);
      const entry = client.docs.get(name);
      if (!entry) return;
      const type = decoding.readVarUint(d);
      if (type === 0) {
        const step = decoding.readVarUint(d);
        const payload = decoding.readVarUint8Array(d);
        if (step === 0) client.send(muxFrames.message(name, syncMessage(1, Y.encodeStateAsUpdate(entry.doc, payload))));
        else {
          Y.applyUpdate(entry.doc, payload, 'relay');
          if (step === 1) entry.synced = true;
        }
      } else if (type === 1) {
        entry.awareness.push(decoding.readVarUint8Array(d));
      } else if (type === 100) {
        entry.acks.push(Y.decodeStateVector(decoding.readVarUint8Array(d)));
      }
    }
  });
  if (token !== undefined) void client.opened.then(() => client.send(muxFrames.auth(token)));
  return client;
};
