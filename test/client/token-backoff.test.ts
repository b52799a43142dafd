// Pure pieces of the client: jittered backoff and reading relay tokens (role lookup, refresh timing).
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../client/backoff.js';
import { decodeToken, refreshDelay, roleFor } from '../../client/token.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (payload: unknown): string => `${b64({ alg: 'HS256' })}.${b64(payload)}.signature`;

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with half of each step random', () => {
    const opts = { baseMs: 100, maxMs: 1_000 };
    expect(backoffDelay(0, opts, () => 0)).toBe(50);
    expect(backoffDelay(0, opts, () => 1)).toBe(100);
    expect(backoffDelay(2, opts, () => 0)).toBe(200);
    expect(backoffDelay(2, opts, () => 1)).toBe(400);
    expect(backoffDelay(10, opts, () => 1)).toBe(1_000);
    expect(backoffDelay(10_000, opts, () => 0)).toBe(500);
  });

  it('spreads clients that retry at the same attempt', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(3)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('decodeToken', () => {
  it('reads sub, name, exp and valid room roles', () => {
    const claims = decodeToken(jwt({ sub: 'u1', name: 'Ada', exp: 2_000_000_000, rooms: { a: 'write', 'b*': 'read', c: 'owner' } }));
    expect(claims).toEqual({ sub: 'u1', name: 'Ada', exp: 2_000_000_000, rooms: { a: 'write', 'b*': 'read' } });
  });

  it('returns undefined for anything that is not a JWT with a subject', () => {
    for (const token of ['', 'abc', 'a.b', 'a.b.c.d', `x.${b64('not an object')}.y`, jwt({ name: 'no sub' }), 'a.%%%.c']) {
      expect(decodeToken(token)).toBeUndefined();
    }
  });
});

describe('roleFor', () => {
  const claims = { sub: 'u', rooms: { 'team-*': 'read', 'team-core*': 'admin', 'team-x': 'write' } } as const;
  it('prefers an exact entry, then the longest matching prefix', () => {
    expect(roleFor({ ...claims, rooms: { ...claims.rooms } }, 'team-x')).toBe('write');
    expect(roleFor({ ...claims, rooms: { ...claims.rooms } }, 'team-core-1')).toBe('admin');
    expect(roleFor({ ...claims, rooms: { ...claims.rooms } }, 'team-y')).toBe('read');
    expect(roleFor({ ...claims, rooms: { ...claims.rooms } }, 'other')).toBeUndefined();
  });
});

describe('refreshDelay', () => {
  it('refreshes a third of the remaining lifetime early, between 2 s and 5 min', () => {
    const now = 1_000_000_000_000;
    const at = (seconds: number) => ({ sub: 'u', rooms: {}, exp: now / 1000 + seconds });
    expect(refreshDelay(at(3_600), now)).toBe(3_300_000);
    expect(refreshDelay(at(60), now)).toBe(40_000);
    expect(refreshDelay(at(3), now)).toBe(1_000);
    expect(refreshDelay(at(1), now)).toBe(0);
    expect(refreshDelay({ sub: 'u', rooms: {} }, now)).toBeUndefined();
  });
});
