// Loading rooms from the disk store: a never-written room is empty without touching the disk; written rooms come back whole.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiskStore } from '../../relay/disk-store.js';
import { roomDir } from '../../relay/room-paths.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('disk store load', () => {
  it('loads a never-written room as empty and creates nothing for it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-load-'));
    dirs.push(dataDir);
    const store = createDiskStore(dataDir);
    expect(await store.load('never-written')).toEqual({ updates: [], logBytes: 0 });
    expect(existsSync(roomDir(join(dataDir, 'rooms'), 'never-written'))).toBe(false);
    await store.close();
  });

  it('appends durably (O_DSYNC log) and reads every record back in order, also after reopening', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-load-'));
    dirs.push(dataDir);
    const store = createDiskStore(dataDir);
    const batches: number[] = [];
    const observed = createDiskStore(join(dataDir, 'other'), (_s, records) => batches.push(records));
    await Promise.all([1, 2, 3].map((n) => store.append('room-a', new Uint8Array([n, n]))));
    await Promise.all([1, 2, 3, 4].map((n) => observed.append('room-b', new Uint8Array([n]))));
    expect((await store.load('room-a')).updates.map((u) => [...u])).toEqual([[1, 1], [2, 2], [3, 3]]);
    // The first append runs alone, the three queued behind it share one write (group commit).
    expect(batches.reduce((a, b) => a + b, 0)).toBe(4);
    expect(batches.length).toBeLessThan(4);
    await store.close();
    await observed.close();
    const reopened = createDiskStore(dataDir);
    expect((await reopened.load('room-a')).updates.map((u) => [...u])).toEqual([[1, 1], [2, 2], [3, 3]]);
    await reopened.close();
  });
});
