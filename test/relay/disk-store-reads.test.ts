// Reads of the disk store: one room load reads its files once, a write in between is never hidden, and trimming every record needs no read.
import fs, { constants as fsConstants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDiskBackend } from '../../relay/storage/disk-backend.js';
import { LOG_START, loadRoomState } from '../../relay/storage/seams.js';
import { roomDir } from '../../relay/room-paths.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Counts the room files (snapshot, log) opened for reading from now on (relay/fd-io.ts readFileIfExists). */
const countFileReads = () => {
  const opens = vi.spyOn(fs, 'openSync');
  return () => opens.mock.calls.filter(([path, flags]) => flags === fsConstants.O_RDONLY && /[/\\](snapshot|log)$/.test(String(path))).length;
};

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-reads-'));
  dirs.push(dir);
  return dir;
};

describe('disk store reads', () => {
  it('reads a room’s snapshot and log once per load, though the load asks four times', async () => {
    const dataDir = tempDir();
    const writer = createDiskBackend(dataDir);
    await writer.snapshots.store('room-a', new Uint8Array([9, 9]), LOG_START);
    await writer.log.append('room-a', new Uint8Array([1]));
    await writer.log.append('room-a', new Uint8Array([2]));
    await writer.close();

    const backend = createDiskBackend(dataDir);
    const reads = countFileReads();
    const state = await loadRoomState(backend.log, backend.snapshots, 'room-a');
    expect([...state.snapshot!.state]).toEqual([9, 9]);
    expect(state.entries.map((e) => [...e.data])).toEqual([[1], [2]]);
    // Snapshot and log, one read each (it was four of each).
    expect(reads()).toBe(2);
    await backend.close();
  });

  it('never answers from a read taken before a write that was queued after it', async () => {
    const backend = createDiskBackend(tempDir());
    await backend.log.append('room-b', new Uint8Array([1]));
    const before = backend.store.loadParts('room-b');
    const appended = backend.log.append('room-b', new Uint8Array([2]));
    const after = backend.store.loadParts('room-b');
    await appended;
    expect((await before).records.length).toBeGreaterThanOrEqual(1);
    expect((await after).records.map((r) => [...r])).toEqual([[1], [2]]);
    expect((await backend.store.loadParts('room-b')).records.map((r) => [...r])).toEqual([[1], [2]]);
    await backend.close();
  });

  it('trims every record of a log by truncation, without reading it, and keeps later appends', async () => {
    const dataDir = tempDir();
    const backend = createDiskBackend(dataDir);
    const first = await backend.log.append('room-c', new Uint8Array([1]));
    const second = await backend.log.append('room-c', new Uint8Array([2]));
    await backend.snapshots.store('room-c', new Uint8Array([1, 2]), second);
    const reads = countFileReads();
    await backend.log.trim('room-c', second);
    expect(reads()).toBe(0);
    const log = join(roomDir(join(dataDir, 'rooms'), 'room-c'), 'log');
    const magicOnly = readFileSync(log).length;
    // A partial trim still rewrites the rest.
    await backend.log.append('room-c', new Uint8Array([3]));
    await backend.log.append('room-c', new Uint8Array([4]));
    expect(readFileSync(log).length).toBeGreaterThan(magicOnly);
    expect((await backend.log.read('room-c', second)).map((e) => [...e.data])).toEqual([[3], [4]]);
    expect(first).not.toBe(second);
    await backend.close();
    const reopened = createDiskBackend(dataDir);
    const state = await loadRoomState(reopened.log, reopened.snapshots, 'room-c');
    expect(state.entries.map((e) => [...e.data])).toEqual([[3], [4]]);
    await reopened.close();
  });
});
