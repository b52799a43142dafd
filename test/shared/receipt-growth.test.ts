// Measures how much the document grows when receipts are written over and over (budget: 64 KB for 10,000 marks).
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { markRead, sendMessage, type Writer } from '../../shared/conversation.js';

describe('receipt growth', () => {
  it('10,000 markRead calls over 10 users grow the document by less than 64 KB', () => {
    const doc = new Y.Doc();
    const author: Writer = { userId: 'author', role: 'write' };
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) ids.push(sendMessage(doc, author, { text: `message ${i}` }).id);
    const readers = Array.from({ length: 10 }, (_, i) => ({ doc: new Y.Doc(), writer: { userId: `reader-${i}`, role: 'write' } as Writer }));
    // Each reader writes from its own replica (its own Yjs client), as in real life.
    const base = Y.encodeStateAsUpdate(doc);
    for (const reader of readers) Y.applyUpdate(reader.doc, base);
    const before = Y.encodeStateAsUpdate(doc).byteLength;
    let calls = 0;
    for (let step = 0; step < 1000; step++) {
      for (const reader of readers) {
        expect(markRead(reader.doc, reader.writer, ids[step]!)).toBe(true);
        calls++;
        // Relay-like hub: the write reaches the hub and every other replica before the next one.
        const update = Y.encodeStateAsUpdate(reader.doc, Y.encodeStateVector(doc));
        Y.applyUpdate(doc, update);
        for (const other of readers) if (other !== reader) Y.applyUpdate(other.doc, update);
      }
    }
    const growth = Y.encodeStateAsUpdate(doc).byteLength - before;
    console.log(`receipts: ${calls} markRead calls over ${readers.length} users grew the document by ${growth} bytes (${(growth / calls).toFixed(2)} B/call); messages alone: ${before} bytes`);
    expect(calls).toBe(10_000);
    expect(growth).toBeLessThan(64 * 1024);
  });
});
