// Keeps two relays from writing the same data directory (a pid file, taken over when its process is gone).
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './options.js';

const held = new Set<string>();

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Takes the data directory's lock or throws ConfigError; returns the release function. */
export const acquireDataDirLock = (dataDir: string): (() => void) => {
  const path = join(dataDir, 'relay.pid');
  if (held.has(path)) throw new ConfigError(`data directory ${dataDir} is already used by a relay in this process`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      held.add(path);
      return () => {
        held.delete(path);
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new ConfigError(`data directory ${dataDir} is in use by another relay (pid ${pid})`);
      }
      // A stale lock from a relay that died (or from this process after a crash-test restart).
      unlinkSync(path);
    }
  }
  throw new ConfigError(`could not lock data directory ${dataDir}`);
};
