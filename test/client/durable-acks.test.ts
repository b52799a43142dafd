// Durable acks: the relay's durable state vector only grows, and says which structs are stored.
import * as Y from 'yjs';
import { describe, expect, it, vi } from 'vitest';
import { DurableAcks } from '../../client/conversation/durable-acks.js';

describe('DurableAcks', () => {
  it('takes the per-client maximum and reports whether anything moved', () => {
    const acks = new DurableAcks();
    expect(acks.merge(new Map([[1, 5], [2, 3]]))).toBe(true);
    expect(acks.merge(new Map([[1, 4]]))).toBe(false);
    expect(acks.merge(new Map([[1, 5]]))).toBe(false);
    expect(acks.merge(new Map([[1, 6], [2, 1]]))).toBe(true);
    expect([...acks.vector]).toEqual([[1, 6], [2, 3]]);
  });

  it('never goes backwards: an old socket\'s or another tab\'s ack after a newer one changes nothing', () => {
    const acks = new DurableAcks();
    acks.merge(new Map([[7, 100]]));
    expect(acks.merge(new Map([[7, 10]]))).toBe(false);
    expect(acks.covers(7, 99)).toBe(true);
  });

  it('covers a struct when its clock is below the acked clock', () => {
    const acks = new DurableAcks();
    acks.merge(new Map([[3, 10]]));
    expect(acks.covers(3, 9)).toBe(true);
    expect(acks.covers(3, 10)).toBe(false);
    expect(acks.covers(4, 0)).toBe(false);
  });

  it('round-trips through the stored encoding (Yjs state vectors), merging with what is known', () => {
    const acks = new DurableAcks();
    acks.merge(new Map([[1, 2], [9, 40]]));
    const other = new DurableAcks();
    other.merge(new Map([[1, 5]]));
    expect(other.mergeEncoded(acks.encode())).toBe(true);
    expect([...other.vector].sort()).toEqual([[1, 5], [9, 40]]);
    expect(Y.decodeStateVector(other.encode()).get(9)).toBe(40);
  });

  it('covers what a document wrote once the relay acked its state vector', () => {
    const doc = new Y.Doc();
    doc.getArray('messages').push([{ id: 'a' }]);
    const acks = new DurableAcks();
    expect(acks.covers(doc.clientID, 0)).toBe(false);
    acks.merge(Y.decodeStateVector(Y.encodeStateVector(doc)));
    expect(acks.covers(doc.clientID, 0)).toBe(true);
    doc.getArray('messages').push([{ id: 'b' }]);
    expect(acks.covers(doc.clientID, 1)).toBe(false);
  });

  it('shares what a relay acked with the user\'s other tabs, which merge it; anything else on the channel is ignored', async () => {
    const name = `durable-test-${Math.random().toString(36).slice(2)}`;
    const here = new DurableAcks();
    const there = new DurableAcks();
    let moved = 0;
    const stopHere = here.share(name, () => undefined);
    const stopThere = there.share(name, () => moved++);
    const stranger = new BroadcastChannel(name);
    try {
      stranger.postMessage('not a vector');
      stranger.postMessage(new Uint8Array([200])); // truncated varint: does not decode
      stranger.postMessage(Y.encodeStateVector(new Map([[6, 1]]))); // after those (one sender's order is kept)
      expect(here.mergeFromRelay(new Map([[5, 3]]))).toBe(true);
      expect(here.mergeFromRelay(new Map([[5, 2]]))).toBe(false); // nothing moved: nothing posted
      await vi.waitFor(() => expect(there.covers(5, 2) && there.covers(6, 0)).toBe(true));
      expect(moved).toBe(2);
      expect([...there.vector].sort()).toEqual([[5, 3], [6, 1]]);
      // Merging another tab's vector does not echo it back (every tab hears the original).
      expect(here.vector.get(5)).toBe(3);
    } finally {
      stranger.close();
      stopHere();
      stopThere();
    }
  });
});
