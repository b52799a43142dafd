// The cluster room log: one Redis Stream per room (XADD to append, XRANGE to read, one XREAD BLOCK loop to follow, XTRIM MINID to trim).
import type { Redis } from 'ioredis';
import { LOG_START, LogGapError, comparePositions, isPosition, type LogEntry, type LogFollow, type LogListener, type LogPosition, type RoomLog } from './seams.js';
import type { RedisKeys } from './redis-keys.js';

/*
 * Each entry is one field `m` holding the entry's bytes. Durability: XADD replies only after Redis has
 * written (and, with `appendfsync always`, fsync'd) its AOF, and Redis sends every reply, including the
 * XREAD replies of other instances, only after that, so whatever an instance reads from a stream is durable.
 *
 * Following: one blocking connection runs `XREAD BLOCK` over every followed stream at once. When the set of
 * followed rooms changes, the command connection interrupts it with `CLIENT UNBLOCK`, so a new follower
 * waits for nothing. A follower whose position falls behind what a trim removed (a long disconnection)
 * gets a LogGapError and must reload: every trim records its MINID beside the stream (`XTRIM` does not
 * advance the stream's own `max-deleted-entry-id`), and a follower whose next position is below it missed entries.
 */

const FIELD = 'm';

/** XTRIM MINID and, atomically, the trim marker (kept at its highest value). */
const TRIM = `
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])
local current = redis.call('GET', KEYS[2])
if current then
  local cm, cs = string.match(current, '^(%d+)-(%d+)$')
  local nm, ns = string.match(ARGV[1], '^(%d+)-(%d+)$')
  if tonumber(cm) > tonumber(nm) or (tonumber(cm) == tonumber(nm) and tonumber(cs) >= tonumber(ns)) then return 0 end
end
redis.call('SET', KEYS[2], ARGV[1])
return 1`;
/** Entries per XRANGE/XREAD page. */
const PAGE = 1000;
/** Longest one XREAD blocks before the loop looks around again. */
const BLOCK_MS = 5000;

/** The position just after `position` (XRANGE's exclusive start, XTRIM's MINID). */
const MAX_SEQ = 18446744073709551615n;
const nextPosition = (position: LogPosition): LogPosition => {
  const [ms = '0', seq = '0'] = position.split('-');
  return BigInt(seq) >= MAX_SEQ ? `${BigInt(ms) + 1n}-0` : `${ms}-${BigInt(seq) + 1n}`;
};

interface Follower {
  room: string;
  key: string;
  last: LogPosition;
  listener: LogListener;
  onError: (error: Error) => void;
  stopped: boolean;
  /** Set until the gap check at the start of the follow (or after a reconnection) is done. */
  checkGap: boolean;
}

type RawEntries = [id: Buffer, fields: Buffer[]][];

const toEntries = (raw: RawEntries): LogEntry[] => {
  const entries: LogEntry[] = [];
  for (const [id, fields] of raw) {
    const position = id.toString('latin1');
    // Fields alternate name, value; entries without our field (markers) are skipped.
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i]!.toString('latin1') === FIELD) {
        entries.push({ position, data: new Uint8Array(fields[i + 1]!) });
        break;
      }
    }
  }
  return entries;
};

export interface RedisLogOptions {
  /** Command connection: appends, reads, trims. Should have the offline queue off, so appends fail fast. */
  commands: Redis;
  /** A connection used only for the blocking follow loop. */
  blocking: Redis;
  keys: RedisKeys;
  /**
   * Entries younger than this are kept by `trim` even if a snapshot covers them, so that a follower that
   * lags (a slow instance) still finds them (yhub's minMessageLifetime). Default 60 s.
   */
  minLifetimeMs?: number;
}

/** Creates the Redis Stream room log. */
export const createRedisLog = (options: RedisLogOptions): RoomLog => {
  const { commands, blocking, keys } = options;
  const minLifetimeMs = options.minLifetimeMs ?? 60_000;
  const followers = new Set<Follower>();
  let closed = false;
  let blockingId: number | undefined;
  let wake: (() => void) | undefined;

  blocking.on('ready', () => {
    blocking.client('ID').then(
      (id) => {
        blockingId = Number(id);
      },
      () => {},
    );
    // Positions may have been trimmed while disconnected: check every follower again.
    for (const follower of followers) follower.checkGap = true;
  });

  /** Interrupts the blocked XREAD so the loop picks up a changed set of followers. */
  const interrupt = () => {
    wake?.();
    if (blockingId !== undefined && commands.status === 'ready') {
      commands.client('UNBLOCK', blockingId).catch(() => {});
    }
  };

  const read = async (room: string, after: LogPosition): Promise<LogEntry[]> => {
    const key = keys.log(room);
    const out: LogEntry[] = [];
    let from = after;
    for (;;) {
      const raw = (await commands.xrangeBuffer(key, `(${from}`, '+', 'COUNT', PAGE)) as RawEntries;
      const entries = toEntries(raw);
      out.push(...entries);
      if (raw.length < PAGE) return out;
      from = raw[raw.length - 1]![0].toString('latin1');
    }
  };

  /** The MINID of the room's latest trim (entries below it are gone), or LOG_START. */
  const trimmedBelow = async (room: string): Promise<LogPosition> => {
    const value = await commands.get(keys.trimmed(room));
    return value !== null && isPosition(value) ? value : LOG_START;
  };

  const deliver = (follower: Follower, entries: LogEntry[]) => {
    const fresh = entries.filter((entry) => comparePositions(entry.position, follower.last) > 0);
    if (fresh.length === 0 || follower.stopped) return;
    follower.last = fresh[fresh.length - 1]!.position;
    try {
      follower.listener(fresh);
    } catch (error) {
      follower.onError(error as Error);
    }
  };

  const loop = async () => {
    while (!closed) {
      const active = [...followers].filter((f) => !f.stopped);
      if (active.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      try {
        for (const follower of active) {
          if (!follower.checkGap) continue;
          const below = await trimmedBelow(follower.room);
          follower.checkGap = false;
          if (comparePositions(below, nextPosition(follower.last)) > 0) {
            follower.stopped = true;
            followers.delete(follower);
            follower.onError(new LogGapError(`entries of room ${follower.room} after ${follower.last} were trimmed before they were read`));
          }
        }
        // One XREAD for every followed stream, each from the furthest position all its followers have.
        const from = new Map<string, LogPosition>();
        for (const follower of active) {
          if (follower.stopped) continue;
          const known = from.get(follower.key);
          if (known === undefined || comparePositions(follower.last, known) < 0) from.set(follower.key, follower.last);
        }
        if (from.size === 0) continue;
        const streamKeys = [...from.keys()];
        const result = (await blocking.xreadBuffer(
          'COUNT', PAGE, 'BLOCK', BLOCK_MS, 'STREAMS', ...streamKeys, ...streamKeys.map((k) => from.get(k)!),
        )) as [key: Buffer, entries: RawEntries][] | null;
        if (!result) continue;
        for (const [keyBuffer, raw] of result) {
          const key = keyBuffer.toString('latin1');
          const entries = toEntries(raw);
          for (const follower of active) if (follower.key === key) deliver(follower, entries);
        }
      } catch (error) {
        if (closed) return;
        if (/UNBLOCKED/.test((error as Error).message)) continue;
        for (const follower of followers) follower.onError(error as Error);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  };
  let running: Promise<void> | undefined;

  return {
    async append(room, data) {
      const id = await commands.xaddBuffer(keys.log(room), '*', FIELD, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      if (!id) throw new Error('XADD returned no id');
      return id.toString('latin1');
    },
    read,
    follow(room, after, listener, onError = () => {}): LogFollow {
      const follower: Follower = { room, key: keys.log(room), last: after, listener, onError, stopped: false, checkGap: true };
      followers.add(follower);
      running ??= loop();
      interrupt();
      return {
        stop() {
          follower.stopped = true;
          followers.delete(follower);
        },
      };
    },
    async trim(room, upTo) {
      // Keep entries younger than the minimum lifetime, for followers that lag.
      const youngest = `${Math.max(0, Date.now() - minLifetimeMs)}-0`;
      const minId = comparePositions(nextPosition(upTo), youngest) < 0 ? nextPosition(upTo) : youngest;
      await commands.eval(TRIM, 2, keys.log(room), keys.trimmed(room), minId);
    },
    async drop(room) {
      await commands.del(keys.log(room), keys.trimmed(room));
    },
    async release() {
      // Nothing is held per room: the follow was stopped by its owner.
    },
    healthy: () => commands.status === 'ready',
    async close() {
      closed = true;
      for (const follower of followers) follower.stopped = true;
      followers.clear();
      interrupt();
    },
  };
};
