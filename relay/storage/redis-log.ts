// The cluster room log: one Redis Stream per room (XADD to append, XRANGE to read, one XREAD BLOCK loop to follow, XTRIM MINID to trim).
import type { Redis } from 'ioredis';
import { LogGapError, comparePositions, isPosition, type LogEntry, type LogFollow, type LogListener, type LogPosition, type RoomLog } from './seams.js';
import type { RedisKeys } from './redis-keys.js';

/*
 * Each entry is one field `m` holding the entry's bytes. Durability: XADD replies only after Redis has
 * written (and, with `appendfsync always`, fsync'd) its AOF, and Redis sends every reply, including the
 * XREAD replies of other instances, only after that, so whatever an instance reads from a stream is durable.
 *
 * Following: one blocking connection runs `XREAD BLOCK` over every followed stream at once. When the set of
 * followed rooms changes, the command connection interrupts it with `CLIENT UNBLOCK`, so a new follower
 * waits for nothing.
 *
 * Gaps: a follower that lags (a slow or disconnected instance) may find that a compactor trimmed entries it
 * had not read yet; an `XREAD` after such a trim silently starts at what is left. So every trim that removes
 * something records, atomically with the `XTRIM`, the last entry it removed (`through`) and bumps a count
 * (`gen`) in the room's `trims` hash, and the follower checks it: when it starts (and after a reconnection),
 * after every `XREAD` that returned entries of its stream (before delivering them), and every BLOCK_MS for
 * streams that are quiet (a trim may have left nothing to read). A check is exact when at most one trim
 * happened since the follower's previous check: that trim removed unread entries iff `through` is after the
 * follower's position and before the first entry this `XREAD` returned (a trim after the `XREAD` cannot have
 * removed anything before that entry without removing it too). After several trims it is conservative: any
 * `through` after the position is a gap. A gap is reported as a LogGapError and the follower must reload.
 */

const FIELD = 'm';

/** XTRIM MINID and, if it removed anything, the record of the last entry removed (see Gaps above). */
const TRIM = `
if ARGV[1] == '0-0' then return 0 end
local last = redis.call('XREVRANGE', KEYS[1], '(' .. ARGV[1], '-', 'COUNT', 1)
if #last == 0 then return 0 end
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])
redis.call('HSET', KEYS[2], 'through', last[1][1])
redis.call('HINCRBY', KEYS[2], 'gen', 1)
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
  /** The room's trim count at this follower's latest gap check. */
  gen: number;
}

/** A room's trim record: the last entry any trim removed, and how many trims removed something. */
interface TrimRecord {
  through: LogPosition | undefined;
  gen: number;
}

/**
 * Whether `follower` missed entries, given the room's trim record and the first entry an `XREAD` just
 * returned after its position (`first`; undefined when checking without a read). Records the count.
 */
const missedEntries = (follower: Follower, trims: TrimRecord, first: LogPosition | undefined): boolean => {
  const trimsSince = trims.gen - follower.gen;
  follower.gen = trims.gen;
  if (trimsSince === 0 || trims.through === undefined || comparePositions(trims.through, follower.last) <= 0) return false;
  // One trim since the previous check: if it came after the XREAD, it removed `first` too.
  if (trimsSince === 1 && first !== undefined) return comparePositions(trims.through, first) < 0;
  return true;
};

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
  let nextSweep = 0;

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

  /** The trim records of `rooms`, in one round trip. */
  const trimRecords = async (rooms: string[]): Promise<TrimRecord[]> => {
    const pipeline = commands.pipeline();
    for (const room of rooms) pipeline.hmget(keys.trims(room), 'through', 'gen');
    const replies = (await pipeline.exec()) ?? [];
    return rooms.map((_, i) => {
      const [error, value] = replies[i] ?? [new Error('no reply')];
      if (error) throw error;
      const [through, gen] = value as [string | null, string | null];
      return { through: through !== null && isPosition(through) ? through : undefined, gen: Number(gen ?? 0) };
    });
  };

  /** Checks `checked` followers for missed entries (`read`: what the XREAD returned them, if any); stops and reports each gap. */
  const checkGaps = async (checked: Follower[], read?: Map<Follower, LogEntry[]>): Promise<void> => {
    if (checked.length === 0) return;
    const records = await trimRecords(checked.map((f) => f.room));
    checked.forEach((follower, i) => {
      follower.checkGap = false;
      if (follower.stopped || !missedEntries(follower, records[i]!, read?.get(follower)?.[0]?.position)) return;
      follower.stopped = true;
      followers.delete(follower);
      follower.onError(new LogGapError(`entries of room ${follower.room} after ${follower.last} were trimmed before they were read`));
    });
  };

  /** Hands a follower entries after its position. */
  const deliver = (follower: Follower, entries: LogEntry[]) => {
    if (follower.stopped) return;
    follower.last = entries[entries.length - 1]!.position;
    try {
      follower.listener(entries);
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
        // Followers just started or reconnected, and every BLOCK_MS all of them (quiet streams included).
        const sweep = Date.now() >= nextSweep;
        if (sweep) nextSweep = Date.now() + BLOCK_MS;
        await checkGaps(active.filter((f) => sweep || f.checkGap));
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
        const read = new Map<Follower, LogEntry[]>();
        for (const [keyBuffer, raw] of result) {
          const key = keyBuffer.toString('latin1');
          const entries = toEntries(raw);
          for (const follower of active) {
            if (follower.key !== key || follower.stopped) continue;
            const fresh = entries.filter((entry) => comparePositions(entry.position, follower.last) > 0);
            if (fresh.length > 0) read.set(follower, fresh);
          }
        }
        // Before delivering: a trim between this follower's previous read and this one would be skipped silently.
        await checkGaps([...read.keys()], read);
        for (const [follower, entries] of read) deliver(follower, entries);
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
      const follower: Follower = { room, key: keys.log(room), last: after, listener, onError, stopped: false, checkGap: true, gen: 0 };
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
      // Keep entries younger than the minimum lifetime (an entry of millisecond t is younger while now - t < lifetime), for followers that lag.
      const youngest = `${Math.max(0, Date.now() - minLifetimeMs + 1)}-0`;
      const minId = comparePositions(nextPosition(upTo), youngest) < 0 ? nextPosition(upTo) : youngest;
      await commands.eval(TRIM, 2, keys.log(room), keys.trims(room), minId);
    },
    async drop(room) {
      await commands.del(keys.log(room), keys.trims(room));
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
