// When a socket is dropped or probed: a table over opening, idle and silent sockets.
import { describe, expect, it } from 'vitest';
import { checkSocket, DEFAULT_HEARTBEAT } from '../../client/connection/heartbeat.js';

describe('checkSocket', () => {
  const now = 1_000_000;
  const rows: Array<[string, { open: boolean; since: number; lastMessageAt: number }, 'drop' | 'probe' | 'none']> = [
    ['opening, within the open timeout', { open: false, since: now - 9_999, lastMessageAt: 0 }, 'none'],
    ['opening for 10 s (a network that swallows packets)', { open: false, since: now - 10_000, lastMessageAt: 0 }, 'drop'],
    ['open, a frame just now', { open: true, since: now - 60_000, lastMessageAt: now - 100 }, 'none'],
    ['open, idle 4 s: probe', { open: true, since: now - 60_000, lastMessageAt: now - 4_000 }, 'probe'],
    ['open, silent 9.9 s after a probe: probe again', { open: true, since: now - 60_000, lastMessageAt: now - 9_900 }, 'probe'],
    ['open, silent 10 s (half-open): drop', { open: true, since: now - 60_000, lastMessageAt: now - 10_000 }, 'drop'],
  ];
  for (const [name, socket, expected] of rows) it(name, () => expect(checkSocket(socket, DEFAULT_HEARTBEAT, now)).toBe(expected));
});
