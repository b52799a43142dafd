// A loaded room keeps its document, not the stored bytes it was built from; verified tokens are remembered until expiry.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../relay/metrics.js';
import { Room, type RoomDeps } from '../../relay/room.js';
import { VerifiedTokenCache } from '../../relay/verified-token-cache.js';
import type { Identity } from '../../relay/auth.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('room memory', () => {
  it('frees the stored updates once the room is loaded', async () => {
    const source = new Y.Doc();
    const messages = source.getArray('messages');
    source.transact(() => {
      for (let i = 0; i < 2_000; i++) messages.push([{ id: `message-${i}`, author: 'u', text: 'hello', createdAt: 1 }]);
    });
    let updates: Uint8Array[] | undefined = [Y.encodeStateAsUpdate(source)];
    const stored = new WeakRef(updates[0]!);
    const deps = {
      name: 'r',
      store: {},
      bus: { join() {}, leave() {}, publish() {} },
      metrics: createMetrics(),
      log: pino({ level: 'silent' }),
      compactLogBytes: 1 << 22,
      onFailure() {},
    } as unknown as RoomDeps;
    const room = new Room(deps, { updates, logBytes: 0 });
    updates = undefined;
    // deref() keeps its target alive until the current job ends: collect in a fresh job each time.
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      if (stored.deref() === undefined) break;
    }
    expect(room.doc.getArray('messages').length).toBe(2_000);
    expect(stored.deref(), 'stored update bytes still reachable from the room').toBeUndefined();
  });
});

describe('verified token cache', () => {
  const identity = (expiresAt: number): Identity => ({ id: 'u', name: 'U', rooms: { a: 'write' }, expiresAt });

  it('returns a remembered identity until the token expires', () => {
    const cache = new VerifiedTokenCache();
    cache.set('t1', identity(2_000));
    expect(cache.get('t1', 1_000)?.id).toBe('u');
    expect(cache.get('t1', 2_000)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.get('other', 1_000)).toBeUndefined();
  });

  it('freezes what it shares and stays within its bounds', () => {
    const cache = new VerifiedTokenCache(3, 1_000);
    const first = cache.set('a'.repeat(10), identity(9e15));
    expect(Object.isFrozen(first) && Object.isFrozen(first.rooms)).toBe(true);
    for (let i = 0; i < 10; i++) cache.set(`token-${i}`, identity(9e15));
    expect(cache.size).toBe(3);
    expect(cache.get('token-9', 0)).toBeDefined();
    expect(cache.get('a'.repeat(10), 0)).toBeUndefined();
    const bytes = new VerifiedTokenCache(100, 50);
    for (let i = 0; i < 10; i++) bytes.set(`${i}`.padEnd(20, 'x'), identity(9e15));
    expect(bytes.size).toBe(2);
  });
});
