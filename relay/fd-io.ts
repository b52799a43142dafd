// File-descriptor I/O for the disk store: durable waits (write, fsync) in the libuv pool, cheap metadata calls in place.
import fs, { closeSync, fstatSync, fsync, ftruncate, openSync, read, renameSync, write, constants as fsConstants } from 'node:fs';
import { dirname } from 'node:path';

/*
 * Why plain descriptors and not fs/promises FileHandles: every FileHandle call is a pool job with its own promise,
 * and the handle itself is an object with a finalizer. Creating a room's log on its first write took ~10 pool
 * jobs (mkdir, open, write, directory open/fsync/close ×2, close), each a thread wake-up costing more CPU than
 * the system call it ran. Calls that never wait for the disk (mkdir, open, close, stat of a cached inode) now run
 * in place; only those that do (a write to an O_DSYNC log, fsync, ftruncate) go to the pool.
 */

/** Writes all of `buffer` at byte `position` of the file (null: the descriptor's position); resolves once written. */
export const writeAll = (fd: number, buffer: Uint8Array, position: number | null = null): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    const from = (offset: number): void => {
      write(fd, buffer, offset, buffer.byteLength - offset, position === null ? null : position + offset, (error, written) => {
        if (error) return reject(error);
        // A regular file takes a whole write unless the disk is full; a short one continues where it stopped.
        if (offset + written < buffer.byteLength) {
          if (written === 0) return reject(new Error('write wrote nothing'));
          return from(offset + written);
        }
        resolve();
      });
    };
    from(0);
  });

/** fsync of a descriptor. */
export const fsyncFd = (fd: number): Promise<void> =>
  new Promise<void>((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));

/** ftruncate of a descriptor to `length` bytes. */
export const truncateFd = (fd: number, length: number): Promise<void> =>
  new Promise<void>((resolve, reject) => ftruncate(fd, length, (error) => (error ? reject(error) : resolve())));

/** Closes a descriptor in place (no disk wait). */
export const closeFd = (fd: number): void => closeSync(fd);

/** fsyncs a directory so that a created, renamed or removed entry in it is durable (open and close in place). */
export const syncDir = async (dir: string): Promise<void> => {
  const fd = openSync(dir, fsConstants.O_RDONLY);
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
};

/**
 * Replaces the file at `path` with `bytes`, atomically and durably: `<path>.tmp` written and fsync'd, renamed over
 * `path`, the directory fsync'd (`mode` before the umask, as `fs.open(…, 'w')`). `onRenamed` runs right after the rename (a writer holding the old file closes it
 * there). Resolves once the new file and its name are durable.
 */
export const replaceFile = async (path: string, bytes: Uint8Array, mode = 0o666, onRenamed?: () => void): Promise<void> => {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC, mode);
  try {
    await writeAll(fd, bytes);
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  onRenamed?.();
  await syncDir(dirname(path));
};

/**
 * Reads a whole file, or undefined if it does not exist: open, size and close in place, the read in the pool
 * (one job where `fs.promises.readFile` takes four: open, stat, read, close).
 */
export const readFileIfExists = async (path: string): Promise<Buffer | undefined> => {
  let fd: number;
  try {
    // Through the module object, so that a test can count the files read.
    fd = fs.openSync(path, fsConstants.O_RDONLY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const got = await new Promise<number>((resolve, reject) =>
        read(fd, buffer, filled, size - filled, filled, (error, bytes) => (error ? reject(error) : resolve(bytes))),
      );
      if (got === 0) break; // the file shrank meanwhile: what was read is what there is
      filled += got;
    }
    return filled === size ? buffer : buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
};
