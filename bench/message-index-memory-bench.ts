// Index memory benchmark (part of npm run bench:relay): heap the guard's message index adds to a loaded room, per message and against the document's own heap.
// Prints figures only; nothing here asserts a size. Needs --expose-gc (the npm script passes it).
import * as Y from 'yjs';
import { createMessageIndex } from '../relay/message-index.js';
import { buildHistory } from './compare/history.js';
import { rmSync } from 'node:fs';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:relay does)');

/**
 * Heap in use after forced collections (twice: the second frees what finalizers released), plus the contents
 * of ArrayBuffers, which live outside the JS heap (the index keeps its keys and hash table in typed arrays).
 */
const heap = (): number => {
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
};

/** Loads a room of `messages` messages as the relay does (one state update), then indexes it; heap of each. */
const measure = (messages: number) => {
  const history = buildHistory(messages);
  rmSync(history.file, { force: true });
  const state = history.state;
  const base = heap();
  const doc = new Y.Doc({ guid: 'bench' });
  Y.applyUpdate(doc, state);
  const withDoc = heap();
  const index = createMessageIndex(doc);
  const withIndex = heap();
  // A live room keeps following writes: one more message through the observer path.
  doc.getArray('messages').push([{ id: 'bench-last', author: 'author-0', text: 'last', createdAt: 1 }]);
  if (index.size !== messages + 1) throw new Error(`index holds ${index.size} messages, expected ${messages + 1}`);
  const docBytes = withDoc - base;
  const indexBytes = withIndex - withDoc;
  index.destroy();
  doc.destroy();
  return { docBytes, indexBytes, stateBytes: state.byteLength };
};

console.log(`message index memory (Node ${process.version}): heap added by the guard's index to a loaded room`);
console.log('room messages | document MiB | index MiB | index B/message | index ÷ document (goal ≤ 20%)');
for (const messages of [10_000, 50_000]) {
  measure(messages); // warm-up (JIT, lazily created hidden classes)
  const { docBytes, indexBytes } = measure(messages);
  console.log(
    `${String(messages).padStart(13)} | ${(docBytes / 2 ** 20).toFixed(2).padStart(12)} | ${(indexBytes / 2 ** 20).toFixed(2).padStart(9)} | ${(indexBytes / messages).toFixed(0).padStart(15)} | ${((indexBytes / docBytes) * 100).toFixed(0)}%`,
  );
}
