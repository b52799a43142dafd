// Creating rooms on disk: a new log's header and first records in one write, and directory fsyncs shared only by callers that come while one runs.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDirSyncer, createDiskStore, paddedLogSize } from '../../relay/disk-store.js';
import { LOG_MAGIC, encodeRecord } from '../../relay/record-log.js';
import { roomDir } from '../../relay/room-paths.js';
import { tempDir } from './helpers.js';

/** A directory "fsync" the test finishes by hand, recording when each started. */
const manualSync = () => {
  const started: Array<() => void> = [];
  const sync = () => new Promise<void>((resolve) => started.push(resolve));
  return { started, sync };
};

describe('directory fsyncs shared between callers', () => {
  it('never lets a caller join a sync already running; every caller meanwhile shares the next one', async () => {
    const { started, sync } = manualSync();
    const syncRoot = createDirSyncer('/unused', sync);
    const done: string[] = [];
    const first = syncRoot().then(() => done.push('first'));
    expect(started.length).toBe(1);
    // Three callers while the first sync runs: their changes may be missed by it, so they wait for a second one.
    const later = [1, 2, 3].map((n) => syncRoot().then(() => done.push(`later${n}`)));
    expect(started.length).toBe(1);
    started[0]!();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(started.length).toBe(2);
    expect(done).toEqual(['first']);
    started[1]!();
    await Promise.all(later);
    expect(done).toEqual(['first', 'later1', 'later2', 'later3']);
    // Idle again: the next caller starts its own sync at once.
    const last = syncRoot();
    expect(started.length).toBe(3);
    started[2]!();
    await last;
  });

  it('passes a failed sync to its callers, and the next callers get a fresh one', async () => {
    let calls = 0;
    const syncRoot = createDirSyncer('/unused', () => (++calls === 1 ? Promise.reject(new Error('EIO')) : Promise.resolve()));
    await expect(syncRoot()).rejects.toThrow('EIO');
    await expect(syncRoot()).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});

describe('a new room on disk', () => {
  it('writes the log header and the first batch of records together, then appends the rest; all read back', async () => {
    const data = tempDir();
    try {
      const store = createDiskStore(data.dir);
      // Many rooms created at once (as many users' first connections list their conversations).
      const rooms = Array.from({ length: 20 }, (_, i) => `created-${i}`);
      await Promise.all(rooms.map((room, i) => store.append(room, new Uint8Array([i, 1]))));
      for (const [i, room] of rooms.entries()) {
        const log = readFileSync(join(roomDir(join(data.dir, 'rooms'), room), 'log'));
        // The header and the record, then zero padding (see paddedLogSize in disk-store.ts).
        const written = Buffer.concat([LOG_MAGIC, encodeRecord(new Uint8Array([i, 1]))]);
        expect(log.subarray(0, written.length)).toEqual(written);
        expect(log.length).toBe(paddedLogSize(written.length));
        expect(log.subarray(written.length).every((byte) => byte === 0)).toBe(true);
      }
      await store.append('created-0', new Uint8Array([0, 2]));
      await store.close();
      const reopened = createDiskStore(data.dir);
      expect((await reopened.load('created-0')).updates.map((u) => [...u])).toEqual([[0, 1], [0, 2]]);
      expect((await reopened.load('created-19')).updates.map((u) => [...u])).toEqual([[19, 1]]);
      expect(readdirSync(join(data.dir, 'rooms')).length).toBeGreaterThan(0);
      await reopened.close();
    } finally {
      data.cleanup();
    }
  });
});
