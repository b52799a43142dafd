// The Redis room log's follower never skips entries a trim removed while it lagged: it reports a gap instead (and only then).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createRedisLog } from '../../relay/storage/redis-log.js';
import { redisKeys } from '../../relay/storage/redis-keys.js';
import { LOG_START, LogGapError, type LogEntry, type RoomLog } from '../../relay/storage/seams.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { waitFor } from './helpers.js';

let redis: TestRedis;
const connections: Redis[] = [];
const connect = (): Redis => {
  const connection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  connections.push(connection);
  return connection;
};

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  for (const connection of connections) connection.disconnect();
  await redis.destroy();
});

/**
 * A follower on a blocking connection whose XREADs wait while `hold` is on: an instance that lags (busy,
 * paused) between two reads, which is when another instance's trim can remove entries it has not read.
 */
const laggingFollower = (room: string) => {
  const blocking = connect();
  let release: (() => void) | undefined;
  let held: Promise<void> | undefined;
  let holding = false;
  const gated = new Proxy(blocking, {
    get(target, property) {
      if (property === 'xreadBuffer') {
        return async (...args: unknown[]) => {
          await held;
          const result = await (target.xreadBuffer as (...a: unknown[]) => Promise<unknown>)(...args);
          if (result && holding) held = new Promise((resolve) => (release = resolve));
          return result;
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const log = createRedisLog({ commands: connect(), blocking: gated, keys: redisKeys('gaps:'), minLifetimeMs: 0 });
  const seen: LogEntry[] = [];
  const errors: Error[] = [];
  const follow = log.follow(room, LOG_START, (entries) => seen.push(...entries), (error) => errors.push(error));
  return {
    log,
    seen,
    errors,
    /** Once an XREAD returns entries, the next one waits until `resume`. */
    hold() {
      holding = true;
    },
    resume() {
      holding = false;
      release?.();
      held = undefined;
    },
    async close() {
      follow.stop();
      this.resume();
      await log.close();
    },
  };
};

/** Another instance's log on the same Redis: the writer and compactor. */
let other: RoomLog;
beforeAll(() => {
  other = createRedisLog({ commands: connect(), blocking: connect(), keys: redisKeys('gaps:'), minLifetimeMs: 0 });
});

const bytes = (n: number) => new Uint8Array([n]);
let rooms = 0;

/** A follower that has read the room's first entry and now lags, holding its next read. */
const lagAfterFirstEntry = async () => {
  const room = `gaps-${++rooms}`;
  const follower = laggingFollower(room);
  // The XREAD that returns the first entry passes; the next one is held.
  follower.hold();
  const positions = [await other.append(room, bytes(0))];
  await waitFor(() => follower.seen.length === 1, 10_000, 'the first entry read');
  return { room, follower, positions };
};

describe('Redis room log: following while another instance trims', () => {
  it('reports a gap, and delivers nothing after it, when a trim removed unread entries and others remain', async () => {
    const { room, follower, positions } = await lagAfterFirstEntry();
    for (let n = 1; n <= 3; n++) positions.push(await other.append(room, bytes(n)));
    await other.trim(room, positions[2]!);
    follower.resume();
    await waitFor(() => follower.errors.some((e) => e instanceof LogGapError), 10_000, 'a gap error');
    // Entry 3 is still in the stream, but handing it over without 1 and 2 would corrupt the replica.
    expect(follower.seen.map((e) => e.data[0])).toEqual([0]);
    await follower.close();
  });

  it('reports a gap when a trim removed every unread entry (nothing left to read)', async () => {
    const { room, follower, positions } = await lagAfterFirstEntry();
    for (let n = 1; n <= 2; n++) positions.push(await other.append(room, bytes(n)));
    await other.trim(room, positions[2]!);
    follower.resume();
    await waitFor(() => follower.errors.some((e) => e instanceof LogGapError), 15_000, 'a gap error');
    expect(follower.seen.map((e) => e.data[0])).toEqual([0]);
    await follower.close();
  });

  it('reports no gap for trims of entries it had read, and keeps following', async () => {
    const { room, follower, positions } = await lagAfterFirstEntry();
    positions.push(await other.append(room, bytes(1)));
    // Trims only what it read (entry 0), while it lags with entry 1 unread.
    await other.trim(room, positions[0]!);
    follower.resume();
    await waitFor(() => follower.seen.length === 2, 10_000, 'entry 1 read');
    // Caught up, then a trim of everything it read: still no gap; later entries keep coming.
    await other.trim(room, positions[1]!);
    positions.push(await other.append(room, bytes(2)));
    // Entry 2 is delivered only after its read was checked against both trims.
    await waitFor(() => follower.seen.length === 3, 10_000, 'entry 2 read');
    expect(follower.errors).toEqual([]);
    expect(follower.seen.map((e) => e.data[0])).toEqual([0, 1, 2]);
    await follower.close();
  });

  it('records what a trim removed; a trim that removes nothing is not counted', async () => {
    const room = `gaps-${++rooms}`;
    const position = await other.append(room, bytes(0));
    await other.trim(room, position);
    const commands = connect();
    expect(await commands.hgetall(redisKeys('gaps:').trims(room))).toMatchObject({ gen: '1' });
    await other.trim(room, position);
    expect(await commands.hgetall(redisKeys('gaps:').trims(room))).toMatchObject({ gen: '1', through: position });
  });
});
