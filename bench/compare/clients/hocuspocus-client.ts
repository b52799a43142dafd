// A Hocuspocus client: @hocuspocus/provider (its own protocol) on a `ws` socket that counts payload bytes.
import WebSocket from 'ws';
import * as Y from 'yjs';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { newTraffic, type BenchClient, type Traffic } from './bench-client.js';

/** A `ws` socket class that adds one client's frame sizes to `traffic`. */
const countingSocket = (traffic: Traffic) =>
  class CountingWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { perMessageDeflate: false });
      // The provider detaches its handlers on destroy; closing a still-connecting socket then emits an 'error'
      // with no listener, which crashed the benchmark and hid why it was closing. The provider sees errors anyway.
      this.on('error', () => {});
      this.on('message', (data: Buffer) => {
        traffic.bytesIn += data.byteLength;
        traffic.framesIn++;
      });
      const send = this.send.bind(this) as (data: Uint8Array) => void;
      (this as unknown as { send: (data: Uint8Array) => void }).send = (data) => {
        traffic.bytesOut += data.byteLength;
        send(data);
      };
    }
  };

/**
 * Opens one provider with its own socket. Awareness is off (`awareness: null`) so that, like the sync
 * client used for the other servers, it sends document sync and updates only.
 */
export const openHocuspocusClient = (url: string, room: string, doc: Y.Doc = new Y.Doc()): BenchClient => {
  const traffic = newTraffic();
  let closedBy: { code: number; reason: string } | undefined;
  let resolveOpened!: () => void;
  let resolveSynced!: () => void;
  let rejectSynced!: (error: Error) => void;
  const opened = new Promise<void>((resolve) => (resolveOpened = resolve));
  const synced = new Promise<void>((resolve, reject) => {
    resolveSynced = resolve;
    rejectSynced = reject;
  });
  synced.catch(() => {});
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  // One socket per provider (no multiplexing), like every other client here.
  const socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: countingSocket(traffic), onOpen: () => resolveOpened() });
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name: room,
    document: doc,
    token: 'bench',
    awareness: null,
    onSynced: ({ state }) => {
      if (state) resolveSynced();
    },
    onClose: ({ event }) => {
      closedBy = { code: event.code, reason: event.reason };
      rejectSynced(new Error(`closed before sync: ${event.code} ${event.reason}`));
      resolveClosed();
    },
  });
  provider.attach();
  return {
    doc,
    opened,
    synced,
    traffic,
    get closedBy() {
      return closedBy;
    },
    close: async () => {
      provider.destroy();
      socket.destroy();
      const timer = setTimeout(resolveClosed, 2000);
      await closed;
      clearTimeout(timer);
    },
  };
};
