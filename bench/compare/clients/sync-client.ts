// A minimal y-protocols sync client over `ws`: the same code path for Parley, y-websocket, and the raw floor.
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { newTraffic, type BenchClient } from './bench-client.js';

const MESSAGE_SYNC = 0;

/**
 * Connects to `url`, sends sync step 1, answers the server's step 1, applies step 2 and updates, and
 * sends every local document change as an update (a passive client only applies what it receives). Awareness and other message types are counted and ignored.
 */
export const openSyncClient = (url: string, doc: Y.Doc = new Y.Doc(), options: { passive?: boolean } = {}): BenchClient => {
  const traffic = newTraffic();
  const origin = Symbol('remote');
  const ws = new WebSocket(url, { perMessageDeflate: false });
  let closedBy: { code: number; reason: string } | undefined;
  let resolveSynced!: () => void;
  let rejectSynced!: (error: Error) => void;
  const synced = new Promise<void>((resolve, reject) => {
    resolveSynced = resolve;
    rejectSynced = reject;
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  // Callers may await only one of the two; keep the other from becoming an unhandled rejection.
  opened.catch(() => {});
  synced.catch(() => {});

  const send = (data: Uint8Array) => {
    if (ws.readyState !== ws.OPEN) return;
    traffic.bytesOut += data.byteLength;
    ws.send(data);
  };
  const onUpdate = (update: Uint8Array, from: unknown) => {
    if (from === origin) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeUpdate(encoder, update);
    send(encoding.toUint8Array(encoder));
  };
  doc.on('update', onUpdate);

  ws.on('open', () => {
    // A passive client (a receiver on the raw floor) neither asks nor answers: there every step 1 reaches every
    // member, and answering each would make a 500-member room's joins cubic in the benchmark process.
    if (options.passive === true) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(encoder, doc);
    send(encoding.toUint8Array(encoder));
  });
  ws.on('message', (data: Buffer) => {
    traffic.bytesIn += data.byteLength;
    traffic.framesIn++;
    const decoder = decoding.createDecoder(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    const kind = syncProtocol.readSyncMessage(decoder, encoder, doc, origin);
    if (encoding.length(encoder) > 1 && options.passive !== true) send(encoding.toUint8Array(encoder));
    if (kind === syncProtocol.messageYjsSyncStep2) resolveSynced();
  });
  const closed = new Promise<void>((resolve) =>
    ws.once('close', (code, reason) => {
      closedBy = { code, reason: reason.toString() };
      rejectSynced(new Error(`closed before sync: ${code} ${reason.toString()}`));
      resolve();
    }),
  );
  ws.on('error', () => {});

  return {
    doc,
    opened,
    synced,
    traffic,
    get closedBy() {
      return closedBy;
    },
    close: async () => {
      doc.off('update', onUpdate);
      if (ws.readyState === ws.CLOSED) return;
      ws.close();
      const timer = setTimeout(() => ws.terminate(), 2000);
      await closed;
      clearTimeout(timer);
    },
  };
};
