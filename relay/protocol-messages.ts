// Encodes and decodes the relay's WebSocket frames (y-websocket protocol plus Parley's durable ack).
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { MessageType } from '../shared/protocol.js';

/*
 * Every frame is binary and starts with varUint(message type):
 *  - 0 sync, followed by varUint(sub-type):
 *      0 step 1: varUint8Array(state vector) — "send me what I am missing";
 *      1 step 2: varUint8Array(update) — the answer to a step 1;
 *      2 update: varUint8Array(update) — a live change.
 *  - 1 awareness: varUint8Array(awareness update) = varUint(n) then n × [varUint clientID, varUint clock, varString JSON state].
 *  - 3 query-awareness: nothing follows; the other side answers with every awareness state it knows.
 *  - 100 durable ack (relay → client, only with `acks=1`): varUint8Array(state vector of the room's durable state).
 */
export const SyncStep = { step1: 0, step2: 1, update: 2 } as const;

/** A frame that does not follow the protocol; the connection is closed with 4400. */
export class MalformedFrameError extends Error {
  override name = 'MalformedFrameError';
}

/** One awareness entry as sent on the wire; `state` is the parsed JSON (null = removed). */
export interface AwarenessEntry {
  clientID: number;
  clock: number;
  state: unknown;
  /** The JSON text exactly as received, forwarded as is. */
  json: string;
}

export type IncomingMessage =
  | { type: 'sync-step1'; stateVector: Uint8Array }
  | { type: 'sync-step2'; update: Uint8Array }
  | { type: 'sync-update'; update: Uint8Array }
  | { type: 'awareness'; entries: AwarenessEntry[] }
  | { type: 'query-awareness' };

const MAX_AWARENESS_ENTRIES = 64;

const decodeAwareness = (payload: Uint8Array): AwarenessEntry[] => {
  const decoder = decoding.createDecoder(payload);
  const count = decoding.readVarUint(decoder);
  if (count > MAX_AWARENESS_ENTRIES) throw new MalformedFrameError('too many awareness entries');
  const entries: AwarenessEntry[] = [];
  for (let i = 0; i < count; i++) {
    const clientID = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const json = decoding.readVarString(decoder);
    entries.push({ clientID, clock, json, state: JSON.parse(json) as unknown });
  }
  if (decoding.hasContent(decoder)) throw new MalformedFrameError('trailing bytes in awareness update');
  return entries;
};

/** Decodes one client frame. Throws MalformedFrameError (or a decoding error) for anything off-protocol. */
export const decodeIncoming = (frame: Uint8Array): IncomingMessage => {
  try {
    const decoder = decoding.createDecoder(frame);
    const type = decoding.readVarUint(decoder);
    let message: IncomingMessage;
    switch (type) {
      case MessageType.sync: {
        const step = decoding.readVarUint(decoder);
        const payload = decoding.readVarUint8Array(decoder);
        if (step === SyncStep.step1) {
          Y.decodeStateVector(payload);
          message = { type: 'sync-step1', stateVector: payload };
        } else if (step === SyncStep.step2) {
          message = { type: 'sync-step2', update: payload };
        } else if (step === SyncStep.update) {
          message = { type: 'sync-update', update: payload };
        } else {
          throw new MalformedFrameError('unknown sync step');
        }
        break;
      }
      case MessageType.awareness:
        message = { type: 'awareness', entries: decodeAwareness(decoding.readVarUint8Array(decoder)) };
        break;
      case MessageType.queryAwareness:
        message = { type: 'query-awareness' };
        break;
      default:
        throw new MalformedFrameError('unknown message type');
    }
    if (decoding.hasContent(decoder)) throw new MalformedFrameError('trailing bytes after message');
    return message;
  } catch (error) {
    if (error instanceof MalformedFrameError) throw error;
    throw new MalformedFrameError(`undecodable frame: ${(error as Error).message}`);
  }
};

const frame = (write: (encoder: encoding.Encoder) => void): Uint8Array => {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
};

/** sync step 1 carrying `doc`'s state vector. */
export const encodeSyncStep1 = (doc: Y.Doc): Uint8Array =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.sync);
    encoding.writeVarUint(e, SyncStep.step1);
    encoding.writeVarUint8Array(e, Y.encodeStateVector(doc));
  });

/** A sync message (step 2 or update) carrying `update`. */
export const encodeSyncUpdate = (update: Uint8Array, step: typeof SyncStep.step2 | typeof SyncStep.update): Uint8Array =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.sync);
    encoding.writeVarUint(e, step);
    encoding.writeVarUint8Array(e, update);
  });

/** An awareness message carrying an already encoded awareness update. */
export const encodeAwarenessMessage = (awarenessUpdate: Uint8Array): Uint8Array =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.awareness);
    encoding.writeVarUint8Array(e, awarenessUpdate);
  });

/** Encodes awareness entries as an awareness update (the wire format `applyAwarenessUpdate` reads). */
export const encodeAwarenessEntries = (entries: readonly AwarenessEntry[]): Uint8Array =>
  frame((e) => {
    encoding.writeVarUint(e, entries.length);
    for (const entry of entries) {
      encoding.writeVarUint(e, entry.clientID);
      encoding.writeVarUint(e, entry.clock);
      encoding.writeVarString(e, entry.json);
    }
  });

/** The durable ack: type 100 + varUint8Array(encoded state vector). */
export const encodeDurableAck = (stateVector: Uint8Array): Uint8Array =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.durableAck);
    encoding.writeVarUint8Array(e, stateVector);
  });
