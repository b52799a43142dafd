// Live sync of one document between the user's tabs over BroadcastChannel (what y-websocket's provider does for a per-room socket).
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as awarenessProtocol from 'y-protocols/awareness';
import { MessageType } from '../../shared/protocol.js';
import { updatePieces } from '../../shared/update-pieces.js';
import { nextTask } from '../next-task.js';

/** Bytes of structs per piece of this tab's state posted to the other tabs. */
const PIECE_BYTES = 64 * 1024;

/**
 * Same messages as on the wire (y-websocket's sync, awareness, query-awareness) on a channel scoped to the user
 * and room, so tabs see each other's writes at once, online or not, and a message queued in one tab and flushed
 * by another is the same record in both. Updates received here are applied with `origin`, which the relay
 * connection does not forward (the writing tab sends its own).
 */
export function syncTabs(channelName: string, doc: Y.Doc, awareness: awarenessProtocol.Awareness, origin: object): () => void {
  if (typeof BroadcastChannel !== 'function') return () => undefined;
  const channel = new BroadcastChannel(channelName);
  const post = (write: (encoder: encoding.Encoder) => void): void => {
    const encoder = encoding.createEncoder();
    write(encoder);
    channel.postMessage(encoding.toUint8Array(encoder));
  };
  const postOwnAwareness = (): void => post((e) => {
    encoding.writeVarUint(e, MessageType.awareness);
    encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]));
  });
  let closed = false;
  let othersSeen = false;
  /**
   * What this tab has that the others may lack (y-websocket posts its whole state as one step 2 here): posted once
   * another tab is known to exist, as causal pieces one per task, since encoding and applying a long history at
   * once blocks both pages. Writes made meanwhile go out live as usual.
   */
  const postState = async (): Promise<void> => {
    for (const piece of updatePieces(doc, new Uint8Array([0]), PIECE_BYTES)) {
      if (closed) return;
      post((e) => {
        encoding.writeVarUint(e, MessageType.sync);
        syncProtocol.writeUpdate(e, piece.update);
      });
      await nextTask();
    }
  };
  channel.onmessage = (event: MessageEvent) => {
    if (!othersSeen) {
      othersSeen = true;
      void postState();
    }
    // A tab on the per-room transport (y-websocket, through lib0) posts ArrayBuffers on the same channel.
    const data: unknown = event.data instanceof ArrayBuffer ? new Uint8Array(event.data) : event.data;
    if (!(data instanceof Uint8Array)) return;
    const decoder = decoding.createDecoder(data);
    const type = decoding.readVarUint(decoder);
    if (type === MessageType.sync) {
      const reply = encoding.createEncoder();
      encoding.writeVarUint(reply, MessageType.sync);
      syncProtocol.readSyncMessage(decoder, reply, doc, origin);
      if (encoding.length(reply) > 1) channel.postMessage(encoding.toUint8Array(reply));
    } else if (type === MessageType.awareness) {
      awarenessProtocol.applyAwarenessUpdate(awareness, decoding.readVarUint8Array(decoder), origin);
    } else if (type === MessageType.queryAwareness) {
      postOwnAwareness();
    }
  };
  const onUpdate = (update: Uint8Array, from: unknown): void => {
    if (from === origin) return;
    post((e) => {
      encoding.writeVarUint(e, MessageType.sync);
      syncProtocol.writeUpdate(e, update);
    });
  };
  const onAwareness = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, from: unknown): void => {
    if (from === origin) return;
    const self = doc.clientID;
    if (added.includes(self) || updated.includes(self) || removed.includes(self)) postOwnAwareness();
  };
  doc.on('update', onUpdate);
  awareness.on('update', onAwareness);
  // Announce: what this tab lacks (its state goes out once another tab answers: see postState), and who is here.
  post((e) => {
    encoding.writeVarUint(e, MessageType.sync);
    syncProtocol.writeSyncStep1(e, doc);
  });
  post((e) => encoding.writeVarUint(e, MessageType.queryAwareness));
  postOwnAwareness();
  return () => {
    closed = true;
    doc.off('update', onUpdate);
    awareness.off('update', onAwareness);
    // Leaving: other tabs drop this tab's awareness state now.
    post((e) => {
      encoding.writeVarUint(e, MessageType.awareness);
      encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID], new Map()));
    });
    channel.close();
  };
}
