// Cluster mode's configuration and log entry format: bad URLs, half a configuration and foreign log entries are refused clearly.
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../relay/cli-args.js';
import { ConfigError, resolveOptions } from '../../relay/options.js';
import { decodeClusterSnapshot, encodeClusterSnapshot } from '../../relay/storage/room-blob-index.js';
import { BadEntryError, decodeRoomEntry, encodeRoomEntry, type RoomEntry } from '../../relay/storage/room-entry.js';
import { comparePositions, positionBefore } from '../../relay/storage/seams.js';

const SECRET = 'x'.repeat(40);

describe('cluster configuration', () => {
  it('switches to cluster mode with both URLs, from flags or the environment', () => {
    const fromFlags = parseCli(['--redis-url', 'redis://127.0.0.1:6379', '--postgres-url', 'postgres://p@127.0.0.1/db', '--stream-trim-grace-seconds', '5'], { PARLEY_JWT_SECRET: SECRET });
    expect(fromFlags.help === false && fromFlags.options.cluster).toEqual({ redisUrl: 'redis://127.0.0.1:6379', postgresUrl: 'postgres://p@127.0.0.1/db', trimGraceMs: 5000 });
    const fromEnv = parseCli([], { PARLEY_REDIS_URL: 'redis://r:6379', PARLEY_POSTGRES_URL: 'postgresql://p@h/db' });
    expect(fromEnv.help === false && fromEnv.options.cluster).toEqual({ redisUrl: 'redis://r:6379', postgresUrl: 'postgresql://p@h/db' });
    const neither = parseCli([], {});
    expect(neither.help === false && neither.options.cluster).toBeUndefined();
  });

  it('refuses half a cluster configuration and malformed URLs, without echoing them', () => {
    expect(() => parseCli(['--redis-url', 'redis://h:1'], {})).toThrow(/needs both --redis-url and --postgres-url/);
    expect(() => parseCli([], { PARLEY_POSTGRES_URL: 'postgres://h/db' })).toThrow(ConfigError);
    const secretUrl = 'http://user:hunter2@h:6379';
    const attempt = () => resolveOptions({ jwt: { secret: SECRET }, cluster: { redisUrl: secretUrl, postgresUrl: 'postgres://h/db' } });
    expect(attempt).toThrow(/Redis URL must start with redis:\/\/ or rediss:\/\//);
    expect(attempt).not.toThrow(/hunter2/);
    expect(() => resolveOptions({ jwt: { secret: SECRET }, cluster: { redisUrl: 'redis://h', postgresUrl: 'not a url' } })).toThrow(/PostgreSQL URL is not a valid URL/);
    expect(() => resolveOptions({ jwt: { secret: SECRET }, cluster: { redisUrl: 'redis://h', postgresUrl: 'postgres://h/db', prefix: 'a b' } })).toThrow(/prefix/);
  });
});

describe('room log entries', () => {
  it('round-trip updates and tombstones', () => {
    const entries: RoomEntry[] = [
      { kind: 'update', instance: 'i-1', seq: 42, userId: 'ada', userName: 'Ada', role: 'write', update: new Uint8Array([1, 2, 3]) },
      { kind: 'tombstone', instance: 'i-2' },
      { kind: 'blob', instance: 'i-3', id: 'a'.repeat(64), size: 123456, type: 'image/png' },
      { kind: 'blob-gone', instance: 'i-3', id: 'b'.repeat(64) },
    ];
    for (const entry of entries) expect(decodeRoomEntry(encodeRoomEntry(entry))).toEqual(entry);
  });

  it('cluster snapshots carry the blob index; a bare Yjs state reads with an empty one', () => {
    const index = new Map([['c'.repeat(64), { size: 10, type: 'application/pdf' }], ['d'.repeat(64), { size: 0, type: 'image/webp' }]]);
    const state = new Uint8Array([0, 0]);
    expect(decodeClusterSnapshot(encodeClusterSnapshot(state, index))).toEqual({ state, index });
    expect(decodeClusterSnapshot(state)).toEqual({ state, index: new Map() });
  });

  it('refuses what a relay did not write: unknown kinds, roles, truncation, trailing bytes', () => {
    const good = encodeRoomEntry({ kind: 'update', instance: 'i', seq: 1, userId: 'u', userName: 'U', role: 'admin', update: new Uint8Array([0]) });
    expect(() => decodeRoomEntry(new Uint8Array([7]))).toThrow(BadEntryError);
    expect(() => decodeRoomEntry(good.subarray(0, good.length - 1))).toThrow(BadEntryError);
    expect(() => decodeRoomEntry(new Uint8Array([...good, 0]))).toThrow(/trailing bytes/);
    const badRole = encodeRoomEntry({ kind: 'update', instance: 'i', seq: 1, userId: 'u', userName: 'U', role: 'root' as 'admin', update: new Uint8Array([0]) });
    expect(() => decodeRoomEntry(badRole)).toThrow(/unknown role/);
    expect(() => decodeRoomEntry(new Uint8Array())).toThrow(BadEntryError);
  });

  it('orders positions numerically and steps back across a millisecond', () => {
    expect(comparePositions('9-0', '10-0')).toBeLessThan(0);
    expect(comparePositions('10-2', '10-10')).toBeLessThan(0);
    expect(comparePositions('10-10', '10-10')).toBe(0);
    expect(positionBefore('10-5')).toBe('10-4');
    expect(comparePositions(positionBefore('10-0'), '10-0')).toBeLessThan(0);
    expect(comparePositions(positionBefore('10-0'), '9-99999')).toBeGreaterThan(0);
  });
});
