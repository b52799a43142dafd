// Durable acks: the relay's durable state vector only grows, and says which structs are stored.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
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
});
