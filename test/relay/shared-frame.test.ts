// A broadcast frame framed once (send-queue.ts SharedFrame) is byte for byte what ws would write for the same message.
import { describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import { SharedFrame } from '../../relay/send-queue.js';

/** ws's own framing (lib/sender.js `Sender.frame`), which @types/ws does not declare. */
type FrameFn = (data: Buffer, options: Record<string, unknown>) => Buffer[];
const wsFrame = (wsModule as unknown as { Sender: { frame: FrameFn } }).Sender.frame;

describe('SharedFrame', () => {
  // Each length class of RFC 6455 §5.2 and its edges: 7-bit, 16-bit and 64-bit lengths.
  for (const length of [1, 125, 126, 127, 65535, 65536, 200_000]) {
    it(`frames a ${length}-byte message as ws.send does on a server socket`, () => {
      const payload = new Uint8Array(length);
      for (let i = 0; i < length; i++) payload[i] = (i * 31) & 0xff;
      const expected = Buffer.concat(
        wsFrame(Buffer.from(payload), { fin: true, opcode: 2, mask: false, readOnly: false, rsv1: false }),
      );
      const frame = new SharedFrame(payload);
      expect(frame.wire.equals(expected)).toBe(true);
      // Framed once: every receiver gets the same buffer.
      expect(frame.wire).toBe(frame.wire);
    });
  }
});
