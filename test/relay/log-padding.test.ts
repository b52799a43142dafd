// Log padding: appends land inside the file's size, zeros after the last record read as the end, release cuts them.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDiskStore, paddedLogSize } from '../../relay/disk-store.js';
import { CorruptDataError, LOG_MAGIC, encodeRecord, parseLog } from '../../relay/record-log.js';
import { roomDir } from '../../relay/room-paths.js';
import { useTempDirs } from './helpers.js';

const dataDir = useTempDirs();
const logPath = (dir: string, room: string) => join(roomDir(join(dir, 'rooms'), room), 'log');
/** A small update-like payload whose bytes tell records apart. */
const payload = (i: number) => new Uint8Array([1, i & 0xff, (i >> 8) & 0xff, 0]);
const asLists = (updates: Uint8Array[]) => updates.map((u) => [...u]);

describe('parsing a padded log', () => {
  const records = [payload(1), payload(2)].map(encodeRecord);
  const whole = Buffer.concat([LOG_MAGIC, ...records]);

  it('reads zeros after the last record as the end, not as damage', () => {
    const parsed = parseLog(Buffer.concat([whole, Buffer.alloc(200_000)]));
    expect(parsed).toMatchObject({ validBytes: whole.length, tornTail: false, padded: true });
    expect(parsed.records.length).toBe(2);
  });

  it('still reports a torn record that zeros follow, and refuses a record after the zeros', () => {
    const torn = Buffer.concat([whole, encodeRecord(payload(3)).subarray(0, 6), Buffer.alloc(4096)]);
    expect(parseLog(torn)).toMatchObject({ validBytes: whole.length, tornTail: true, padded: false });
    const after = Buffer.concat([whole, Buffer.alloc(4096), encodeRecord(payload(3))]);
    expect(() => parseLog(after)).toThrow(CorruptDataError);
  });
});

describe('appending to a padded log', () => {
  it('writes records inside the padding without growing the file, and release cuts the padding', async () => {
    const dir = dataDir();
    const store = createDiskStore(dir);
    await store.append('room', payload(0));
    const first = statSync(logPath(dir, 'room')).size;
    const oneRecord = LOG_MAGIC.length + encodeRecord(payload(0)).length;
    expect(first).toBe(paddedLogSize(oneRecord));
    // Every one of these appends fits in the padding: the file's size (its inode) never changes.
    for (let i = 1; i < 100; i++) {
      await store.append('room', payload(i));
      expect(statSync(logPath(dir, 'room')).size).toBe(first);
    }
    // Past the padding the file grows once, with new padding.
    const perRecord = encodeRecord(payload(0)).length;
    let appended = 100;
    while (LOG_MAGIC.length + (appended + 1) * perRecord <= first) await store.append('room', payload(appended++));
    await store.append('room', payload(appended++));
    expect(statSync(logPath(dir, 'room')).size).toBe(paddedLogSize(LOG_MAGIC.length + appended * perRecord));
    const expected = Array.from({ length: appended }, (_, i) => [...payload(i)]);
    expect(asLists((await store.load('room')).updates)).toEqual(expected);
    await store.release('room');
    expect(statSync(logPath(dir, 'room')).size).toBe(LOG_MAGIC.length + appended * perRecord);
    await store.close();
    const reopened = createDiskStore(dir);
    expect(asLists((await reopened.load('room')).updates)).toEqual(expected);
    await reopened.close();
  });

  it('after a crash left padding behind, appends go where the records end and everything reads back', async () => {
    const dir = dataDir();
    const store = createDiskStore(dir);
    await store.append('crashed', payload(0));
    await store.close();
    // What a crash leaves: the records, then the padding no release cut (a whole number of pages).
    const records = Buffer.concat([LOG_MAGIC, encodeRecord(payload(0)), encodeRecord(payload(1))]);
    const padded = Buffer.alloc(paddedLogSize(records.length));
    padded.set(records);
    writeFileSync(logPath(dir, 'crashed'), padded);

    const reopened = createDiskStore(dir);
    expect(asLists((await reopened.load('crashed')).updates)).toEqual([[...payload(0)], [...payload(1)]]);
    // Appending without a load in between must also find the end (the store reads a padded-looking log).
    await reopened.close();
    const again = createDiskStore(dir);
    await again.append('crashed', payload(2));
    await again.append('crashed', payload(3));
    expect(asLists((await again.load('crashed')).updates)).toEqual([0, 1, 2, 3].map((i) => [...payload(i)]));
    await again.close();
    const bytes = readFileSync(logPath(dir, 'crashed'));
    expect(parseLog(bytes)).toMatchObject({ tornTail: false, padded: false });
  });

  it('a read of a log open for appending leaves the file alone', async () => {
    const dir = dataDir();
    const store = createDiskStore(dir);
    await store.append('open', payload(0));
    const size = statSync(logPath(dir, 'open')).size;
    expect(asLists((await store.load('open')).updates)).toEqual([[...payload(0)]]);
    expect(statSync(logPath(dir, 'open')).size).toBe(size);
    await store.append('open', payload(1));
    expect(asLists((await store.load('open')).updates)).toEqual([0, 1].map((i) => [...payload(i)]));
    await store.close();
  });
});
