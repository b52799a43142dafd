// The client's /sync frames against the contract (MUX.md, docs/protocol.md): byte layout and decoding of relay frames.
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { describe, expect, it } from 'vitest';
import {
  decodeRelayFrame, encodeAttach, encodeAuth, encodeDetach, encodeMessage, encodePing, MuxKind,
} from '../../client/connection/mux-protocol.js';

const bytes = (write: (e: encoding.Encoder) => void): Uint8Array => {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
};

describe('client /sync frames', () => {
  it('encodes auth, attach, detach, message and ping as the grammar says', () => {
    expect(encodeAuth('t.o.k')).toEqual(bytes((e) => { encoding.writeVarUint(e, 0); encoding.writeVarString(e, 't.o.k'); }));
    expect(encodeAttach('room-1', 1)).toEqual(bytes((e) => { encoding.writeVarUint(e, 2); encoding.writeVarString(e, 'room-1'); encoding.writeVarUint(e, 1); }));
    expect(encodeDetach('room-1')).toEqual(bytes((e) => { encoding.writeVarUint(e, 3); encoding.writeVarString(e, 'room-1'); }));
    expect(encodeMessage('r', Uint8Array.of(0, 1, 2))).toEqual(Uint8Array.of(5, 1, 'r'.charCodeAt(0), 0, 1, 2));
    expect(encodePing()).toEqual(Uint8Array.of(6));
  });

  it('decodes authOk, refused, message and pong; ignores kinds a client never receives', () => {
    expect(decodeRelayFrame(bytes((e) => { encoding.writeVarUint(e, MuxKind.authOk); encoding.writeVarString(e, 'u1'); encoding.writeVarUint(e, 1_900_000_000); })))
      .toEqual({ kind: 'authOk', userId: 'u1', expSeconds: 1_900_000_000 });
    expect(decodeRelayFrame(bytes((e) => { encoding.writeVarUint(e, MuxKind.refused); encoding.writeVarString(e, 'r'); encoding.writeVarUint(e, 4403); encoding.writeVarString(e, 'no access to this room'); })))
      .toEqual({ kind: 'refused', doc: 'r', code: 4403, reason: 'no access to this room' });
    const message = decodeRelayFrame(Uint8Array.of(5, 1, 'r'.charCodeAt(0), 100, 7));
    expect(message).toMatchObject({ kind: 'message', doc: 'r', payload: Uint8Array.of(100, 7) });
    if (message?.kind === 'message') expect(decoding.readVarUint(message.decoder)).toBe(100);
    expect(decodeRelayFrame(Uint8Array.of(7))).toEqual({ kind: 'pong' });
    expect(decodeRelayFrame(Uint8Array.of(MuxKind.attach, 0, 0))).toBeUndefined();
    expect(decodeRelayFrame(Uint8Array.of(42))).toBeUndefined();
  });

  it('throws on a truncated frame (the socket ignores it rather than fail every document)', () => {
    expect(() => decodeRelayFrame(Uint8Array.of(MuxKind.refused, 5, 0x61))).toThrow();
  });
});
