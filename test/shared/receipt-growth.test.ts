// Measures how much the document grows when receipts are written over and over (budget: 64 KB for 10,000 marks).
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { markRead, sendMessage, type Writer } from '../../shared/conversation.js';

type Layout = 'per-user array' | 'overwritten Y.Map key' | 'none';

/**
 * 10 readers on their own replicas (their own Yjs clients) behind a relay-like hub; each marks 1,000
 * messages read one by one and, to be realistic, sends a message of its own every 10th read (other
 * writes by the same client break the runs Yjs could otherwise merge). Returns the hub's encoded size.
 */
function scenario(layout: Layout): { bytes: number; calls: number } {
  const hub = new Y.Doc();
  const author: Writer = { userId: 'author', role: 'write' };
  const ids: string[] = [];
  for (let i = 0; i < 1000; i++) ids.push(sendMessage(hub, author, { text: `message ${i}` }).id);
  const readers = Array.from({ length: 10 }, (_, i) => ({ doc: new Y.Doc(), writer: { userId: `reader-${i}`, role: 'write' } as Writer }));
  const base = Y.encodeStateAsUpdate(hub);
  for (const reader of readers) Y.applyUpdate(reader.doc, base);
  let calls = 0;
  for (let step = 0; step < 1000; step++) {
    for (const reader of readers) {
      const id = ids[step]!;
      if (layout === 'per-user array') expect(markRead(reader.doc, reader.writer, id)).toBe(true);
      if (layout === 'overwritten Y.Map key') reader.doc.getMap('receipts').set(reader.writer.userId, { delivered: id, read: id });
      calls++;
      if (step % 10 === 9) sendMessage(reader.doc, reader.writer, { text: `reply ${step}`, id: `${reader.writer.userId}-${step}` });
      const update = Y.encodeStateAsUpdate(reader.doc, Y.encodeStateVector(hub));
      Y.applyUpdate(hub, update);
      for (const other of readers) if (other !== reader) Y.applyUpdate(other.doc, update);
    }
  }
  return { bytes: Y.encodeStateAsUpdate(hub).byteLength, calls };
}

describe('receipt growth', () => {
  it('10,000 markRead calls over 10 users grow the document by less than 64 KB', { timeout: 180_000 }, () => {
    const baseline = scenario('none').bytes;
    const { bytes, calls } = scenario('per-user array');
    const mapKey = scenario('overwritten Y.Map key').bytes;
    const growth = bytes - baseline;
    console.log(
      `receipts: ${calls} markRead calls over 10 users (each also sending every 10th time) grew the document by ` +
        `${growth} bytes (${(growth / calls).toFixed(2)} B/call) over the same conversation without receipts (${baseline} bytes); ` +
        `one overwritten Y.Map key per user: ${mapKey - baseline} bytes`,
    );
    expect(calls).toBe(10_000);
    expect(growth).toBeGreaterThan(0);
    expect(growth).toBeLessThan(64 * 1024);
  });
});
