// The embedded room store: per room an fsync'd append-only update log with group commit, plus atomic snapshots.
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, promises as fs, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import { closeFd, fsyncFd, readFileIfExists, replaceFile, syncDir, truncateFd, writeAll } from './fd-io.js';
import { LOG_MAGIC, encodeRecord, encodeSnapshot, parseLog, parseSnapshot } from './record-log.js';
import { roomDir } from './room-paths.js';

const LOG_FILE = 'log';
const SNAPSHOT_FILE = 'snapshot';

/** Called after each group commit with its duration (write + fsync) and how many records it made durable. */
export type PersistObserver = (seconds: number, records: number) => void;

type Op =
  | { kind: 'append'; record: Buffer; resolve: () => void; reject: (e: unknown) => void }
  | { kind: 'compact'; state: Uint8Array; resolve: () => void; reject: (e: unknown) => void }
  | { kind: 'snapshot'; state: Uint8Array; resolve: () => void; reject: (e: unknown) => void }
  | { kind: 'drop-records'; count: number; resolve: () => void; reject: (e: unknown) => void }
  | { kind: 'barrier'; resolve: () => void; reject: (e: unknown) => void }
  | { kind: 'release'; resolve: () => void; reject: (e: unknown) => void }
  | { kind: 'delete'; resolve: () => void; reject: (e: unknown) => void };

/** Per-room writer state; exists while a room has pending or open work. */
interface RoomFiles extends LogTail {
  dir: string;
  /** The open log's descriptor (O_DSYNC; records are written at `end`, see LogTail). */
  log: number | null;
  ops: Op[];
  draining: boolean;
  /** Set after a failed write or fsync: what is on disk is unknown, so nothing more is written. */
  failed: unknown;
}

const LOG_OPEN_FLAGS = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_DSYNC;

/*
 * Log padding. A durable write that grows a file must also write its inode (the new size) before it returns: on
 * this machine's ext4 an O_DSYNC append was three device writes and a flush, ≈110 µs of CPU, where a write into
 * blocks already written and inside the file's size is two writes and a flush, ≈65 µs, and returns sooner
 * (`/proc/diskstats` over 2,000 appends). So a write that would grow the log writes zeros after its records:
 * as much again as the log holds, 16 KiB to 1 MiB, and the next appends land inside the file's size. Zeros after
 * the last record read as the log's end (record-log.ts), so a crash leaves nothing to repair. Releasing the room
 * cuts the padding (no fsync: padding a crash leaves behind is harmless); a padded file's size is a whole number
 * of pages, so opening a log whose size is one (rare otherwise) reads it to find where its records end.
 * Written zeros, not a sparse or fallocated extension: on a journaling filesystem the first write into a hole or an
 * unwritten extent allocates or converts blocks, metadata that each sync must commit (PostgreSQL zero-fills its WAL
 * segments for the same reason).
 */
const MIN_LOG_PADDING = 16 * 1024;
const MAX_LOG_PADDING = 1024 * 1024;
const PAGE = 4096;

/** The file size to grow a log to when `needed` bytes of it must hold data. */
export const paddedLogSize = (needed: number): number => {
  const padding = Math.min(MAX_LOG_PADDING, Math.max(MIN_LOG_PADDING, needed));
  return Math.ceil((needed + padding) / PAGE) * PAGE;
};

/** Where an open, padded log's records end (`end`) and its file's size (`size`, padding included). */
export interface LogTail {
  end: number;
  size: number;
}

/**
 * Writes `bytes` at the log's end (durable on return: the descriptor is O_DSYNC), with zero padding after them
 * when they would grow the file (see paddedLogSize); advances `tail`.
 */
export const writePadded = async (fd: number, tail: LogTail, bytes: Buffer): Promise<void> => {
  const needed = tail.end + bytes.byteLength;
  if (needed <= tail.size) {
    await writeAll(fd, bytes, tail.end);
  } else {
    const size = paddedLogSize(needed);
    const padded = Buffer.alloc(size - tail.end);
    padded.set(bytes);
    await writeAll(fd, padded, tail.end);
    tail.size = size;
  }
  tail.end = needed;
};

/**
 * Shares directory fsyncs between callers: a call made while a sync of the same directory is running waits for
 * the next one, which starts when the running one ends and serves every caller that came meanwhile. A sync that
 * began before a caller's change might miss it, so no caller ever joins a running one. Many rooms created in the
 * same turns (first connections of many users list their conversations) share one fsync of the rooms directory.
 */
export const createDirSyncer = (dir: string, sync: (dir: string) => Promise<void> = syncDir) => {
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const start = (): Promise<void> => {
    const run = sync(dir).finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    return run;
  };
  return (): Promise<void> => {
    if (next) return next;
    if (!running) return start();
    const after = running.then(
      () => undefined,
      () => undefined,
    );
    next = after.then(() => {
      next = undefined;
      return start();
    });
    return next;
  };
};

/** What `load` returns: updates that, applied in order, rebuild the document (snapshot first), and the log's size. */
export interface LoadedRoom {
  updates: Uint8Array[];
  /** Bytes of log written since the last compaction. */
  logBytes: number;
}

/** A room's files as read: the snapshot (if any) and the log's records, apart. */
export interface DiskRoomParts {
  snapshot: Uint8Array | undefined;
  records: Uint8Array[];
  logBytes: number;
}

/**
 * The disk store: per room one queue of operations that take effect in call order (appends share one write and
 * one fsync). The storage seams over it are storage/disk-backend.ts.
 */
export interface DiskStore {
  root: string;
  /** Reads a room (snapshot + log). Resolves empty for a room that never existed; rejects on corrupt data. */
  load(room: string): Promise<LoadedRoom>;
  /** Appends one update; resolves once it is durable (fsync'd). */
  append(room: string, update: Uint8Array): Promise<void>;
  /** Replaces everything stored for the room with one full-state update, atomically (snapshot, then empty log). */
  compact(room: string, state: Uint8Array): Promise<void>;
  /** Resolves once every operation issued so far is done. */
  flush(room: string): Promise<void>;
  /** Closes the room's open files (it unloaded). */
  release(room: string): Promise<void>;
  /** Removes a room for good. */
  delete(room: string): Promise<void>;
  /** Flushes and releases everything (shutdown). */
  close(): Promise<void>;
  /** Reads the snapshot and the log's records separately (after anything queued for the room). */
  loadParts(room: string): Promise<DiskRoomParts>;
  /** Writes a snapshot atomically without touching the log; resolves once durable. */
  snapshot(room: string, state: Uint8Array): Promise<void>;
  /** Removes the log's first `count` records (all of them, or Infinity: truncation; fewer: an atomic rewrite). */
  dropRecords(room: string, count: number): Promise<void>;
}

/** Creates the disk store under `dataDir/rooms`. The format is documented in the README (Storage on disk). */
export const createDiskStore = (dataDir: string, observe: PersistObserver = () => {}): DiskStore => {
  const root = join(dataDir, 'rooms');
  const rooms = new Map<string, RoomFiles>();
  /** Whether `root` is known to exist (a delete re-creates it; nothing else removes it while the relay runs). */
  let rootReady = false;
  /** fsyncs of the rooms directory, shared by the rooms created meanwhile. */
  const syncRoot = createDirSyncer(root);
  /** Reads of rooms' files shared by the calls of one load (see `loadParts`). */
  const recentReads = new Map<string, Promise<DiskRoomParts>>();

  const filesOf = (room: string): RoomFiles => {
    let files = rooms.get(room);
    if (!files) {
      files = { dir: roomDir(root, room), log: null, end: 0, size: 0, ops: [], draining: false, failed: undefined };
      rooms.set(room, files);
    }
    return files;
  };

  /**
   * Opens (creating if needed, durably) the room's log for appending. A new log gets its header in one write
   * with `firstRecords` when given (the first append batch): one durable write instead of two, and the records
   * are durable once this resolves with `wroteFirst` true.
   */
  const openLog = async (files: RoomFiles, firstRecords?: Buffer): Promise<{ log: number; wroteFirst: boolean }> => {
    if (files.log !== null) return { log: files.log, wroteFirst: false };
    // Directory and file creation run in place (fd-io.ts: they never wait for the disk; a pool job costs more).
    // Once per store, not once per room: a recursive mkdir of an existing path still walks it.
    if (!rootReady) {
      mkdirSync(root, { recursive: true });
      rootReady = true;
    }
    let createdDir = false;
    try {
      mkdirSync(files.dir);
      createdDir = true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        // The root went away under us after all: make it again, then the room's directory.
        mkdirSync(root, { recursive: true });
        mkdirSync(files.dir);
        createdDir = true;
      } else if (code !== 'EEXIST') throw error;
    }
    if (createdDir) await syncRoot();
    const path = join(files.dir, LOG_FILE);
    // O_DSYNC: each write returns once its data is durable, so an append batch is one job in the libuv pool
    // (write) instead of two (write, then fdatasync), with the same guarantee.
    const fd = openSync(path, LOG_OPEN_FLAGS);
    let wroteFirst = false;
    try {
      // A directory made just now holds no log yet: no need to ask the size of the file just created.
      const size = createdDir ? 0 : fstatSync(fd).size;
      files.size = size;
      files.end = size > 0 && size % PAGE === 0 ? await logEnd(path) : size;
      if (size === 0) {
        // Durable on return (O_DSYNC): no fsync of the file. A crash before the directory's fsync below may lose
        // the file, but nothing in it was acknowledged yet; a torn write is cut at the last whole record on load.
        await writePadded(fd, files, firstRecords === undefined ? LOG_MAGIC : Buffer.concat([LOG_MAGIC, firstRecords]));
        wroteFirst = firstRecords !== undefined;
        await syncDir(files.dir);
      }
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    files.log = fd;
    return { log: fd, wroteFirst };
  };

  /** Where the records of a log that may be padded end (what follows is zeros, or a torn tail to write over). */
  const logEnd = async (path: string): Promise<number> => {
    const buffer = await readFileIfExists(path);
    return buffer === undefined ? 0 : parseLog(buffer).validBytes;
  };

  /** Empties the log (keeps its magic), durably. */
  const truncateLog = async (files: RoomFiles, log: number): Promise<void> => {
    await truncateFd(log, LOG_MAGIC.length);
    await fsyncFd(log);
    files.end = files.size = LOG_MAGIC.length;
  };

  const closeLog = (files: RoomFiles): void => {
    const log = files.log;
    files.log = null;
    // Everything written is already durable (O_DSYNC): closing waits for nothing.
    if (log !== null) closeFd(log);
  };

  /** Cuts the log's padding and closes it (the room unloaded). No fsync: padding a crash leaves behind reads as the end. */
  const releaseLog = async (files: RoomFiles): Promise<void> => {
    if (files.log !== null && files.size > files.end && files.failed === undefined) await truncateFd(files.log, files.end);
    closeLog(files);
  };

  const writeAppends = async (files: RoomFiles, batch: Extract<Op, { kind: 'append' }>[]): Promise<void> => {
    const started = performance.now();
    const buffer = batch.length === 1 ? batch[0]!.record : Buffer.concat(batch.map((op) => op.record));
    const { log, wroteFirst } = await openLog(files, buffer);
    if (!wroteFirst) await writePadded(log, files, buffer);
    observe((performance.now() - started) / 1000, batch.length);
  };

  /** Writes the snapshot file only (atomically, fd-io.ts replaceFile); returns the room's open log. */
  const writeSnapshotFile = async (files: RoomFiles, state: Uint8Array): Promise<number> => {
    const { log } = await openLog(files);
    await replaceFile(join(files.dir, SNAPSHOT_FILE), encodeSnapshot(state));
    return log;
  };

  /** Replaces the room's data with `state`: the snapshot file, then an empty log. */
  const writeSnapshot = async (files: RoomFiles, state: Uint8Array): Promise<void> => {
    const started = performance.now();
    const log = await writeSnapshotFile(files, state);
    // A crash before this point replays the old log over the new snapshot, which Yjs treats as a no-op.
    await truncateLog(files, log);
    observe((performance.now() - started) / 1000, 1);
  };

  /**
   * Drops the first `count` records: truncation when none remain (`count` Infinity: all of them, known without
   * reading the log), else the rest rewritten and renamed over the log.
   */
  const dropLogRecords = async (files: RoomFiles, count: number): Promise<void> => {
    const { log } = await openLog(files);
    if (count === Number.POSITIVE_INFINITY) return truncateLog(files, log);
    const parsed = parseLog((await readFileIfExists(join(files.dir, LOG_FILE))) ?? LOG_MAGIC);
    if (count >= parsed.records.length) return truncateLog(files, log);
    if (count <= 0) return;
    // The open descriptor is the replaced file's from the rename on: closed there, the next append reopens.
    await replaceFile(join(files.dir, LOG_FILE), Buffer.concat([LOG_MAGIC, ...parsed.records.slice(count).map(encodeRecord)]), undefined, () => closeLog(files));
  };

  const runOp = async (room: string, files: RoomFiles, op: Exclude<Op, { kind: 'append' }>): Promise<void> => {
    switch (op.kind) {
      case 'compact':
        if (files.failed !== undefined) throw files.failed;
        return writeSnapshot(files, op.state);
      case 'snapshot':
        if (files.failed !== undefined) throw files.failed;
        await writeSnapshotFile(files, op.state);
        return;
      case 'drop-records':
        if (files.failed !== undefined) throw files.failed;
        return dropLogRecords(files, op.count);
      case 'barrier':
        if (files.failed !== undefined) throw files.failed;
        return;
      case 'release':
        return releaseLog(files);
      case 'delete':
        closeLog(files);
        await fs.rm(files.dir, { recursive: true, force: true });
        await fs.mkdir(root, { recursive: true });
        await syncRoot();
        files.failed = undefined;
        return;
    }
    void room;
  };

  /** Runs queued operations in order; consecutive appends share one write and one fsync (group commit). */
  const drain = async (room: string, files: RoomFiles): Promise<void> => {
    files.draining = true;
    while (files.ops.length > 0) {
      const first = files.ops[0]!;
      if (first.kind === 'append') {
        const batch: Extract<Op, { kind: 'append' }>[] = [];
        while (files.ops[0]?.kind === 'append') batch.push(files.ops.shift() as Extract<Op, { kind: 'append' }>);
        try {
          if (files.failed !== undefined) throw files.failed;
          await writeAppends(files, batch);
          for (const op of batch) op.resolve();
        } catch (error) {
          // After a failed write or fsync the file's content is unknown: refuse everything until reload.
          files.failed ??= error;
          for (const op of batch) op.reject(error);
        }
        continue;
      }
      files.ops.shift();
      try {
        await runOp(room, files, first);
        first.resolve();
      } catch (error) {
        if (first.kind === 'compact' || first.kind === 'drop-records') files.failed ??= error;
        first.reject(error);
      }
    }
    files.draining = false;
    if (files.log === null && files.ops.length === 0 && rooms.get(room) === files) rooms.delete(room);
  };

  const enqueue = (room: string, make: (resolve: () => void, reject: (e: unknown) => void) => Op): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      // A read taken before this operation is no longer what the files hold (a barrier changes nothing).
      const op = make(resolve, reject);
      if (op.kind !== 'barrier') recentReads.delete(room);
      const files = filesOf(room);
      files.ops.push(op);
      if (!files.draining) void drain(room, files);
    });

  /** Reads a room's snapshot and log records (after anything queued for the room). */
  const readParts = async (room: string): Promise<DiskRoomParts> => {
    // Wait for anything still queued for this room (a release or delete) before reading its files.
    if (rooms.has(room)) await enqueue(room, (resolve, reject) => ({ kind: 'barrier', resolve, reject })).catch(() => {});
    const files = filesOf(room);
    files.failed = undefined;
    const records: Uint8Array[] = [];
    // A room that was never written has no directory: answer without reading (and failing on) each file.
    // One lstat on the main thread is cheaper than two pool jobs that throw ENOENT.
    if (files.log === null && lstatSync(files.dir, { throwIfNoEntry: false }) === undefined) {
      if (files.ops.length === 0) rooms.delete(room);
      return { snapshot: undefined, records, logBytes: 0 };
    }
    // Small rooms often have no snapshot (an idle unload compacts only a grown log): its open fails in place.
    const snapshotFile = await readFileIfExists(join(files.dir, SNAPSHOT_FILE));
    const snapshot = snapshotFile === undefined ? undefined : parseSnapshot(snapshotFile);
    const logPath = join(files.dir, LOG_FILE);
    const logBuffer = await readFileIfExists(logPath);
    let logBytes = 0;
    if (logBuffer !== undefined) {
      const parsed = parseLog(logBuffer);
      records.push(...parsed.records);
      logBytes = parsed.validBytes - LOG_MAGIC.length;
      // Padding needs no cut (appends go where the records end, see openLog), and an open log's writer knows its end.
      if (parsed.tornTail && files.log === null) {
        // Cut the torn tail so that new records follow the last valid one.
        await fs.truncate(logPath, parsed.validBytes);
        const handle = await fs.open(logPath, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
    }
    if (files.ops.length === 0 && files.log === null) rooms.delete(room);
    return { snapshot, records, logBytes: Math.max(0, logBytes) };
  };

  const store: DiskStore = {
    root,
    async load(room: string): Promise<LoadedRoom> {
      const parts = await store.loadParts(room);
      return { updates: parts.snapshot === undefined ? parts.records : [parts.snapshot, ...parts.records], logBytes: parts.logBytes };
    },
    loadParts(room: string): Promise<DiskRoomParts> {
      // One room load asks for its files several times in a row (loadRoomState: snapshot, numbering, log, snapshot
      // again): while nothing is queued for the room in between, they share one read. The read is forgotten on
      // the next loop turn, so no room's stored bytes outlive its load.
      const recent = recentReads.get(room);
      if (recent !== undefined) return recent;
      const read = readParts(room);
      recentReads.set(room, read);
      const forget = () =>
        setImmediate(() => {
          if (recentReads.get(room) === read) recentReads.delete(room);
        });
      read.then(forget, forget);
      return read;
    },
    snapshot(room, state) {
      return enqueue(room, (resolve, reject) => ({ kind: 'snapshot', state, resolve, reject }));
    },
    dropRecords(room, count) {
      return enqueue(room, (resolve, reject) => ({ kind: 'drop-records', count, resolve, reject }));
    },
    append(room, update) {
      const record = encodeRecord(update);
      return enqueue(room, (resolve, reject) => ({ kind: 'append', record, resolve, reject }));
    },
    compact(room, state) {
      return enqueue(room, (resolve, reject) => ({ kind: 'compact', state, resolve, reject }));
    },
    flush(room) {
      if (!rooms.has(room)) return Promise.resolve();
      return enqueue(room, (resolve, reject) => ({ kind: 'barrier', resolve, reject }));
    },
    release(room) {
      if (!rooms.has(room)) return Promise.resolve();
      return enqueue(room, (resolve, reject) => ({ kind: 'release', resolve, reject }));
    },
    delete(room) {
      return enqueue(room, (resolve, reject) => ({ kind: 'delete', resolve, reject }));
    },
    async close() {
      await Promise.allSettled(
        [...rooms.keys()].map((room) => enqueue(room, (resolve, reject) => ({ kind: 'release', resolve, reject }))),
      );
    },
  };
  return store;
};
