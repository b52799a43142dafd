// Guard benchmark (part of npm run bench:relay): cost of checking one chat-message update in rooms of 1k, 10k and 100k messages.
// Prints figures only; nothing here asserts a timing.
import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { createConversationGuard } from '../relay/update-guard.js';
import { markRead, newMessageId, sendMessage, type MessageRecord, type Writer } from '../shared/conversation.js';

const WRITER: Writer = { userId: 'writer', role: 'write' };
const UPDATES = 2000;

/** A room of `size` messages by 20 authors, built directly (sendMessage re-reads the log, quadratic at this scale). */
function buildRoom(size: number): Y.Doc {
  const doc = new Y.Doc();
  const messages = doc.getArray<MessageRecord>('messages');
  const batch: MessageRecord[] = [];
  for (let i = 0; i < size; i++) {
    batch.push({ id: newMessageId(), author: `author-${i % 20}`, text: `message number ${i} with some ordinary chat text`, createdAt: 1_700_000_000_000 + i });
    if (batch.length === 1000) messages.push(batch.splice(0));
  }
  if (batch.length > 0) messages.push(batch);
  return doc;
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

function measure(size: number): { median: number; p99: number; firstMs: number; receiptMedian: number } {
  const room = buildRoom(size);
  const writer = new Y.Doc();
  Y.applyUpdate(writer, Y.encodeStateAsUpdate(room));
  const guard = createConversationGuard();
  // Timed with the one decode the accept path does before the check.
  const check = (update: Uint8Array) =>
    guard({ room: 'bench', doc: room, update, decoded: Y.decodeUpdate(update), user: { id: WRITER.userId, name: 'Writer' }, role: WRITER.role });
  const capture = (write: () => void): Uint8Array => {
    const before = Y.encodeStateVector(writer);
    write();
    return Y.encodeStateAsUpdate(writer, before);
  };

  // The first write builds the room's message index (once per loaded room).
  const first = capture(() => sendMessage(writer, WRITER, { text: 'first' }));
  let start = performance.now();
  check(first);
  const firstMs = performance.now() - start;
  Y.applyUpdate(room, first);

  const times: number[] = [];
  for (let i = 0; i < UPDATES; i++) {
    // Built like the client does, without re-reading the whole log each time.
    const update = capture(() => writer.getArray<MessageRecord>('messages').push([{ id: newMessageId(), author: WRITER.userId, text: `hello ${i}`, createdAt: Date.now() }]));
    start = performance.now();
    check(update);
    times.push((performance.now() - start) * 1000);
    Y.applyUpdate(room, update);
  }
  times.sort((a, b) => a - b);

  const receiptTimes: number[] = [];
  const targets = room.getArray<MessageRecord>('messages').toArray().filter((m) => m.author !== WRITER.userId).slice(-200);
  for (const target of targets) {
    const update = capture(() => markRead(writer, WRITER, target.id));
    start = performance.now();
    check(update);
    receiptTimes.push((performance.now() - start) * 1000);
    Y.applyUpdate(room, update);
  }
  receiptTimes.sort((a, b) => a - b);
  return { median: quantile(times, 0.5), p99: quantile(times, 0.99), firstMs, receiptMedian: quantile(receiptTimes, 0.5) };
}

console.log(`guard: validation of one chat-message update (${UPDATES} updates per room; Node ${process.version})`);
console.log('room messages | median µs | p99 µs | mark-read median µs | first write (index build) ms');
for (const size of [1_000, 10_000, 100_000]) {
  measure(size); // warm-up of the JIT on the same shape
  const { median, p99, firstMs, receiptMedian } = measure(size);
  console.log(`${String(size).padStart(13)} | ${median.toFixed(1).padStart(9)} | ${p99.toFixed(1).padStart(6)} | ${receiptMedian.toFixed(1).padStart(19)} | ${firstMs.toFixed(1)}`);
}
