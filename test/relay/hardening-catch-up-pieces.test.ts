// The catch-up splitter (relay/catch-up.ts): bounded pieces, each applicable on arrival, together the whole state.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import { catchUpFrames } from '../../relay/catch-up.js';

/** A document edited by `writers` replicas that sync at random moments (so they build on each other), with deletions. */
const editedDoc = (seed: number, writers: number, steps: number): Y.Doc => {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const docs = Array.from({ length: writers }, () => new Y.Doc());
  for (let step = 0; step < steps; step++) {
    const doc = docs[Math.floor(random() * writers)]!;
    const text = doc.getText('t');
    const list = doc.getArray<Y.Map<unknown>>('list');
    const r = random();
    if (r < 0.4) text.insert(Math.floor(random() * (text.length + 1)), `w${doc.clientID % 97}-${step} `);
    else if (r < 0.55 && text.length > 4) text.delete(Math.floor(random() * (text.length - 3)), 3);
    else if (r < 0.8) {
      const map = new Y.Map<unknown>();
      map.set('n', step);
      list.insert(Math.floor(random() * (list.length + 1)), [map]);
    } else if (list.length > 0) list.get(Math.floor(random() * list.length)).set('edited', 'x'.repeat(Math.floor(random() * 50)));
    if (random() < 0.3) {
      const other = docs[Math.floor(random() * writers)]!;
      Y.applyUpdate(other, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(other)));
    }
  }
  const all = new Y.Doc();
  for (const doc of docs) Y.applyUpdate(all, Y.encodeStateAsUpdate(doc));
  return all;
};

const payloadOf = (frame: Uint8Array): { step: number; update: Uint8Array } => {
  const d = decoding.createDecoder(frame);
  expect(decoding.readVarUint(d)).toBe(0);
  const step = decoding.readVarUint(d);
  return { step, update: decoding.readVarUint8Array(d) };
};

describe('catch-up pieces', () => {
  it('bring any peer state up to the document, piece by piece, with nothing left pending', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const source = editedDoc(seed, 2 + (seed % 4), 400);
      // A peer that already has part of the history (another replica's view, partly synced).
      const peer = new Y.Doc();
      if (seed % 3 !== 0) {
        const partial = editedDoc(seed, 2 + (seed % 4), 150);
        Y.applyUpdate(peer, Y.encodeStateAsUpdate(partial));
        Y.applyUpdate(source, Y.encodeStateAsUpdate(partial));
      }
      const pieces = [...catchUpFrames(source, Y.encodeStateVector(peer), 256)].map(payloadOf);
      expect(pieces.length).toBeGreaterThan(1);
      pieces.forEach((piece, i) => {
        expect(piece.step).toBe(i === pieces.length - 1 ? 1 : 2);
        Y.applyUpdate(peer, piece.update);
        // Every piece integrates at once.
        expect(peer.store.pendingStructs).toBeNull();
      });
      expect(peer.getText('t').toString()).toBe(source.getText('t').toString());
      expect(peer.getArray('list').toJSON()).toEqual(source.getArray('list').toJSON());
      expect(Y.encodeStateVector(peer)).toEqual(Y.encodeStateVector(source));
      expect(peer.store.pendingDs).toBeNull();
    }
  });

  it('keeps each piece near the budget and sends a small catch-up as one step 2', () => {
    const source = editedDoc(7, 3, 2000);
    const frames = [...catchUpFrames(source, new Uint8Array([0]), 4096)];
    // A piece stops before the struct that would pass the budget.
    for (const frame of frames.slice(0, -1)) expect(frame.byteLength).toBeLessThan(4096 + 64);
    // Within `wholeBytes` the same catch-up goes as one step 2.
    expect([...catchUpFrames(source, new Uint8Array([0]), 4096, 1 << 24)].map(payloadOf).map((p) => p.step)).toEqual([1]);
    const small = editedDoc(8, 2, 20);
    expect([...catchUpFrames(small, new Uint8Array([0]), 1 << 20)].map(payloadOf).map((p) => p.step)).toEqual([1]);
    // An up-to-date peer gets one empty step 2.
    const [only] = [...catchUpFrames(small, Y.encodeStateVector(small), 1 << 20)].map(payloadOf);
    const empty = Y.decodeUpdate(only!.update);
    expect(empty.structs.length).toBe(0);
  });
});
