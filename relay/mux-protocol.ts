// The multiplexed endpoint's (/sync) frames: one socket, many documents, each frame naming its document.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/*
 * Grammar (lib0 encoding: varUint, varString = varUint(utf-8 length) • utf-8 bytes; also in docs/protocol.md):
 *
 *   frame    := varUint(kind) • body
 *   auth     := varUint(0) • varString(token)                         c→r  first frame within upgradeTimeoutMs
 *                                                                          (else 4401); later ones refresh in band
 *   authOk   := varUint(1) • varString(userId) • varUint(expSeconds)  r→c  answer to every accepted auth
 *   attach   := varUint(2) • varString(doc) • varUint(flags)          c→r  flags bit 0: durable acks (acks=1)
 *   detach   := varUint(3) • varString(doc)                           c→r
 *   refused  := varUint(4) • varString(doc) • varUint(code) • varString(reason)
 *                                                                     r→c  the document is detached
 *   message  := varUint(5) • varString(doc) • ymessage                both ymessage: an unchanged y-websocket
 *                                                                          message (sync, awareness,
 *                                                                          query-awareness, durable ack)
 *   ping     := varUint(6)                                            c→r  app-level heartbeat
 *   pong     := varUint(7)                                            r→c
 *
 * A frame that does not parse at this level closes the socket (4400); what is wrong inside one document's
 * ymessage only detaches that document (mux-session.ts).
 */
export const MuxKind = { auth: 0, authOk: 1, attach: 2, detach: 3, refused: 4, message: 5, ping: 6, pong: 7 } as const;

/** Attach flag: the client wants durable acks for this document. */
export const ATTACH_ACKS = 1;

/** A frame from a client, parsed at the outer level. */
export type MuxIncoming =
  | { kind: 'auth'; token: string }
  | { kind: 'attach'; doc: string; flags: number }
  | { kind: 'detach'; doc: string }
  | { kind: 'message'; doc: string; message: Uint8Array }
  | { kind: 'ping' };

/** A frame that does not parse at the outer level (the socket is closed with 4400). */
export class MuxFrameError extends Error {
  override name = 'MuxFrameError';
}

/** Parses one client frame; throws MuxFrameError for anything off-grammar. */
export const decodeMuxFrame = (frame: Uint8Array): MuxIncoming => {
  let parsed: MuxIncoming;
  const decoder = decoding.createDecoder(frame);
  try {
    const kind = decoding.readVarUint(decoder);
    switch (kind) {
      case MuxKind.auth:
        parsed = { kind: 'auth', token: decoding.readVarString(decoder) };
        break;
      case MuxKind.attach:
        parsed = { kind: 'attach', doc: decoding.readVarString(decoder), flags: decoding.readVarUint(decoder) };
        break;
      case MuxKind.detach:
        parsed = { kind: 'detach', doc: decoding.readVarString(decoder) };
        break;
      case MuxKind.message: {
        const doc = decoding.readVarString(decoder);
        const message = frame.subarray(decoder.pos);
        if (message.byteLength === 0) throw new MuxFrameError('empty message');
        return { kind: 'message', doc, message };
      }
      case MuxKind.ping:
        parsed = { kind: 'ping' };
        break;
      default:
        throw new MuxFrameError(`unknown frame kind ${kind}`);
    }
  } catch (error) {
    if (error instanceof MuxFrameError) throw error;
    throw new MuxFrameError(`undecodable frame: ${(error as Error).message}`);
  }
  if (decoding.hasContent(decoder)) throw new MuxFrameError('trailing bytes');
  return parsed;
};

const encode = (write: (encoder: encoding.Encoder) => void): Uint8Array => {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
};

/** `authOk(userId, expSeconds)`. */
export const encodeAuthOk = (userId: string, expSeconds: number): Uint8Array =>
  encode((e) => {
    encoding.writeVarUint(e, MuxKind.authOk);
    encoding.writeVarString(e, userId);
    encoding.writeVarUint(e, expSeconds);
  });

/** `refused(doc, code, reason)`. */
export const encodeRefused = (doc: string, code: number, reason: string): Uint8Array =>
  encode((e) => {
    encoding.writeVarUint(e, MuxKind.refused);
    encoding.writeVarString(e, doc);
    encoding.writeVarUint(e, code);
    encoding.writeVarString(e, reason);
  });

/** The bytes that start every `message` frame of `doc` (computed once per attachment). */
export const messagePrefix = (doc: string): Uint8Array =>
  encode((e) => {
    encoding.writeVarUint(e, MuxKind.message);
    encoding.writeVarString(e, doc);
  });

/** `message(doc, ymessage)` from a prefix made by `messagePrefix`. */
export const withPrefix = (prefix: Uint8Array, message: Uint8Array): Uint8Array => {
  const frame = new Uint8Array(prefix.byteLength + message.byteLength);
  frame.set(prefix, 0);
  frame.set(message, prefix.byteLength);
  return frame;
};

/** `pong`. */
export const PONG = Uint8Array.of(MuxKind.pong);
