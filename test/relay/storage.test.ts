// The disk store and its record formats: round trips, torn tails, corruption, compaction, safe file names.
import { appendFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createDiskStore } from '../../relay/disk-store.js';
import { CorruptDataError, LOG_MAGIC, encodeRecord, parseLog } from '../../relay/record-log.js';
import { base32, fromBase32, roomDir } from '../../relay/room-paths.js';
import { useTempDirs } from './helpers.js';

const dataDir = useTempDirs();

const updates = (n: number): Uint8Array[] => {
  const doc = new Y.Doc();
  const out: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => out.push(u));
  for (let i = 0; i < n; i++) doc.getArray<number>('messages').push([i]);
  return out;
};

const replay = (list: Uint8Array[]): number[] => {
  const doc = new Y.Doc();
  for (const u of list) Y.applyUpdate(doc, u);
  return doc.getArray<number>('messages').toArray();
};

describe('record log format', () => {
  it('parses what it encodes', () => {
    const records = updates(3);
    const parsed = parseLog(Buffer.concat([LOG_MAGIC, ...records.map(encodeRecord)]));
    expect(parsed.tornTail).toBe(false);
    expect(parsed.records.map((r) => Buffer.from(r))).toEqual(records.map((r) => Buffer.from(r)));
  });

  it('drops a torn last record: cut short, zero-filled, or bit-flipped', () => {
    const records = updates(3).map(encodeRecord);
    const whole = Buffer.concat([LOG_MAGIC, ...records]);
    const lastStart = whole.length - records[2]!.length;
    for (const cut of [1, 5, 8, records[2]!.length - 1]) {
      const parsed = parseLog(whole.subarray(0, lastStart + cut));
      expect(parsed.records.length).toBe(2);
      expect(parsed.validBytes).toBe(lastStart);
      expect(parsed.tornTail).toBe(true);
    }
    expect(parseLog(Buffer.concat([whole, Buffer.alloc(4096)])).records.length).toBe(3);
    const flipped = Buffer.from(whole);
    flipped[flipped.length - 1]! ^= 0xff;
    expect(parseLog(flipped).records.length).toBe(2);
    // A file torn while its header was written.
    expect(parseLog(LOG_MAGIC.subarray(0, 3)).records).toEqual([]);
  });

  it('refuses a damaged record that valid records follow (corruption, not a crash)', () => {
    const records = updates(3).map(encodeRecord);
    const whole = Buffer.concat([LOG_MAGIC, ...records]);
    const damaged = Buffer.from(whole);
    damaged[LOG_MAGIC.length + 10]! ^= 0xff;
    expect(() => parseLog(damaged)).toThrow(CorruptDataError);
    expect(() => parseLog(Buffer.from('NOTALOG!'))).toThrow(CorruptDataError);
  });
});

describe('room file names', () => {
  it('maps names to base32 directories inside the root and refuses anything else', () => {
    for (const name of ['a', 'Room', 'room', '..a', 'a'.repeat(128), '~._-']) {
      const dir = roomDir('/data/rooms', name);
      expect(dir.startsWith('/data/rooms/r-')).toBe(true);
      expect(fromBase32(dir.slice('/data/rooms/r-'.length))).toBe(name);
      expect(dir.length - '/data/rooms/'.length).toBeLessThan(255);
    }
    expect(roomDir('/d', 'Room')).not.toBe(roomDir('/d', 'room'));
    for (const bad of ['..', '.', '../x', 'a/b', '', 'a\0b', 'é', 'a'.repeat(129)]) {
      expect(() => roomDir('/data/rooms', bad)).toThrow();
    }
    expect(base32(Buffer.from('f'))).toBe('my');
  });
});

describe('disk store', () => {
  it('loads a new room as empty without creating files', async () => {
    const dir = dataDir();
    const store = createDiskStore(dir);
    expect(await store.load('fresh')).toEqual({ updates: [], logBytes: 0 });
    expect(existsSync(join(dir, 'rooms'))).toBe(false);
  });

  it('appends durably, reloads, compacts, and deletes', async () => {
    const dir = dataDir();
    const store = createDiskStore(dir);
    const list = updates(50);
    await Promise.all(list.map((u) => store.append('chat', u)));
    const loaded = await store.load('chat');
    expect(replay(loaded.updates)).toEqual([...Array(50).keys()]);
    expect(loaded.logBytes).toBeGreaterThan(0);

    const doc = new Y.Doc();
    for (const u of list) Y.applyUpdate(doc, u);
    await store.compact('chat', Y.encodeStateAsUpdate(doc));
    const files = join(dir, 'rooms', readdirSync(join(dir, 'rooms'))[0]!);
    expect(readdirSync(files).sort()).toEqual(['log', 'snapshot']);
    expect(statSync(join(files, 'log')).size).toBe(LOG_MAGIC.length);
    const afterCompaction = await store.load('chat');
    expect(afterCompaction.updates.length).toBe(1);
    expect(replay(afterCompaction.updates)).toEqual([...Array(50).keys()]);

    await store.release('chat');
    await store.delete('chat');
    expect(readdirSync(join(dir, 'rooms'))).toEqual([]);
    expect(await store.load('chat')).toEqual({ updates: [], logBytes: 0 });
  });

  it('tolerates and cuts a torn last record so later appends stay readable', async () => {
    const dir = dataDir();
    const store = createDiskStore(dir);
    const list = updates(4);
    for (const u of list.slice(0, 3)) await store.append('torn', u);
    await store.close();
    const logPath = join(roomDir(join(dir, 'rooms'), 'torn'), 'log');
    const fourth = encodeRecord(list[3]!);
    appendFileSync(logPath, fourth.subarray(0, fourth.length - 2));
    const reopened = createDiskStore(dir);
    const loaded = await reopened.load('torn');
    expect(replay(loaded.updates)).toEqual([0, 1, 2]);
    await reopened.append('torn', list[3]!);
    expect(replay((await reopened.load('torn')).updates)).toEqual([0, 1, 2, 3]);
    await reopened.close();
  });

  it('rejects loading a room whose snapshot is damaged, and leaves its files alone', async () => {
    const dir = dataDir();
    const store = createDiskStore(dir);
    await store.compact('broken', Y.encodeStateAsUpdate(new Y.Doc()));
    await store.close();
    const snapshot = join(roomDir(join(dir, 'rooms'), 'broken'), 'snapshot');
    const bytes = readFileSync(snapshot);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(snapshot, bytes);
    await expect(createDiskStore(dir).load('broken')).rejects.toThrow(CorruptDataError);
    expect(readFileSync(snapshot)).toEqual(bytes);
  });

  it('commits concurrent appends in groups (fewer fsyncs than records)', async () => {
    let commits = 0;
    let records = 0;
    const store = createDiskStore(dataDir(), (_s, n) => {
      commits++;
      records += n;
    });
    await Promise.all(updates(200).map((u) => store.append('group', u)));
    expect(records).toBe(200);
    expect(commits).toBeLessThan(200);
    await store.close();
  });
});
