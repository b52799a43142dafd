// The multiplexed sync endpoint's frames (client side): one socket, many documents, the token in band.
/*
 * `ws(s)://HOST/sync` carries every document of one user over one socket (docs/protocol.md has the grammar; the
 * contract is shared with relay/). Frames are binary, lib0-encoded (`varString` = varUint(length) • utf-8):
 *
 *   frame   := varUint(kind) • body
 *   auth    := 0 • varString(token)                        c→r  first frame; later ones refresh the token in band
 *   authOk  := 1 • varString(userId) • varUint(expSeconds) r→c  answer to every accepted auth frame
 *   attach  := 2 • varString(doc) • varUint(flags)         c→r  flags bit 0: durable acks
 *   detach  := 3 • varString(doc)                          c→r
 *   refused := 4 • varString(doc) • varUint(code) • varString(reason)
 *                                                          r→c  the document is detached (codes as per room)
 *   message := 5 • varString(doc) • ymessage               both an unchanged y-websocket message
 *   ping    := 6                                           c→r  app-level heartbeat (browsers cannot see WS pings)
 *   pong    := 7                                           r→c
 *
 * Socket-level problems close the socket (4401 bad/expired auth, 4403 token for another user, 4400 unparsable,
 * 4413, 4429, 1012); a refusal of one document never touches the others.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

export const MuxKind = {
  auth: 0,
  authOk: 1,
  attach: 2,
  detach: 3,
  refused: 4,
  message: 5,
  ping: 6,
  pong: 7,
} as const;

/** Attach flags. */
export const ATTACH_DURABLE_ACKS = 1;

export type RelayFrame =
  | { kind: 'authOk'; userId: string; expSeconds: number }
  | { kind: 'refused'; doc: string; code: number; reason: string }
  | { kind: 'message'; doc: string; decoder: decoding.Decoder; payload: Uint8Array }
  | { kind: 'pong' };

const frame = (write: (encoder: encoding.Encoder) => void): Uint8Array => {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
};

export const encodeAuth = (token: string): Uint8Array => frame((e) => {
  encoding.writeVarUint(e, MuxKind.auth);
  encoding.writeVarString(e, token);
});

export const encodeAttach = (doc: string, flags: number): Uint8Array => frame((e) => {
  encoding.writeVarUint(e, MuxKind.attach);
  encoding.writeVarString(e, doc);
  encoding.writeVarUint(e, flags);
});

export const encodeDetach = (doc: string): Uint8Array => frame((e) => {
  encoding.writeVarUint(e, MuxKind.detach);
  encoding.writeVarString(e, doc);
});

/** Wraps a y-websocket message (type byte included) for `doc`. */
export const encodeMessage = (doc: string, ymessage: Uint8Array): Uint8Array => frame((e) => {
  encoding.writeVarUint(e, MuxKind.message);
  encoding.writeVarString(e, doc);
  encoding.writeUint8Array(e, ymessage);
});

export const encodePing = (): Uint8Array => frame((e) => encoding.writeVarUint(e, MuxKind.ping));

/**
 * Reads a relay frame; undefined for kinds a client never receives or does not know (ignored: a newer relay may
 * add some). Throws on a frame that cannot be parsed.
 */
export function decodeRelayFrame(data: Uint8Array): RelayFrame | undefined {
  const decoder = decoding.createDecoder(data);
  const kind = decoding.readVarUint(decoder);
  switch (kind) {
    case MuxKind.authOk:
      return { kind: 'authOk', userId: decoding.readVarString(decoder), expSeconds: decoding.readVarUint(decoder) };
    case MuxKind.refused:
      return { kind: 'refused', doc: decoding.readVarString(decoder), code: decoding.readVarUint(decoder), reason: decoding.readVarString(decoder) };
    case MuxKind.message: {
      const doc = decoding.readVarString(decoder);
      return { kind: 'message', doc, decoder, payload: data.subarray(decoder.pos) };
    }
    case MuxKind.pong:
      return { kind: 'pong' };
    default:
      return undefined;
  }
}
