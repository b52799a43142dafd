// Issue 11 item 7: the relay pings every socket and cuts those that miss pongs, so silent sockets do not lock a user out.
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningRelay } from '../../relay/index.js';
import { metric, mintToken, startTestRelay, tempDir, waitFor, wsBase } from './helpers.js';

/** A socket whose peer never answers pings (as a half-open connection behaves): ws with autoPong off. */
const silentSocket = (relay: RunningRelay, room: string, token: string) => {
  const ws = new WebSocket(`${wsBase(relay)}/${room}?token=${token}`, { autoPong: false });
  const state = { open: false, closed: undefined as number | undefined, pings: 0 };
  ws.on('open', () => (state.open = true));
  ws.on('ping', () => state.pings++);
  ws.on('close', (code) => (state.closed = code));
  ws.on('error', () => {});
  return { ws, state };
};

describe('heartbeats (issue 11, item 7)', () => {
  it('reaps 33 silent connections of one user, who can then connect again', async () => {
    const data = tempDir();
    const relay = await startTestRelay({ dataDir: data.dir, limits: { heartbeatIntervalMs: 200, heartbeatMisses: 2 } });
    try {
      const token = await mintToken({ sub: 'silent' });
      const sockets = Array.from({ length: 33 }, (_, i) => silentSocket(relay, `silent-${i % 3}`, token));
      // 32 open (the per-user limit); the 33rd is refused with 4429.
      await waitFor(() => sockets.filter((s) => s.state.open).length >= 32 && sockets.some((s) => s.state.closed === 4429), 20_000, 'limit reached');
      expect(sockets.filter((s) => s.state.closed === 4429).length).toBe(1);
      // The relay pings them; they never answer, so all are cut.
      await waitFor(async () => (await metric(relay, 'parley_connections')) === 0, 30_000, 'silent sockets reaped');
      expect(sockets.filter((s) => s.state.closed !== 4429).every((s) => s.state.pings > 0)).toBe(true);
      await waitFor(() => sockets.every((s) => s.state.closed !== undefined), 30_000, 'client sockets closed');
      const metrics = await (await fetch(`${relay.url}/metrics`)).text();
      expect(metrics).toMatch(/parley_refusals_total\{reason="heartbeat-timeout"\} 32/);
      // The user is not locked out any more: a normal client (answering pings) connects and stays.
      const again = new WebSocket(`${wsBase(relay)}/silent-0?token=${token}`);
      const pinged = new Promise<void>((resolve) => again.once('ping', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        again.once('open', () => resolve());
        again.once('error', reject);
      });
      // It outlives several heartbeat rounds because it answers.
      await pinged;
      for (let round = 0; round < 4; round++) await new Promise<void>((resolve) => again.once('ping', () => resolve()));
      expect(again.readyState).toBe(WebSocket.OPEN);
      again.close();
    } finally {
      await relay.close();
      data.cleanup();
    }
  }, 90_000);
});

describe('heartbeat and connection-limit options', () => {
  it('come from flags and environment variables', async () => {
    const { parseCli } = await import('../../relay/cli-args.js');
    const command = parseCli(['--heartbeat-seconds', '15', '--max-connections', '900'], {
      PARLEY_HEARTBEAT_MISSES: '3',
      PARLEY_MAX_PENDING_SOCKETS: '64',
      PARLEY_HEADERS_TIMEOUT_SECONDS: '5',
      PARLEY_MAX_AWARENESS_BYTES: '2048',
    });
    if (command.help) throw new Error('unexpected help');
    expect(command.options.limits).toMatchObject({
      heartbeatIntervalMs: 15_000,
      heartbeatMisses: 3,
      maxConnections: 900,
      maxPendingSockets: 64,
      headersTimeoutMs: 5000,
      maxAwarenessStateBytes: 2048,
    });
    expect(() => parseCli(['--heartbeat-seconds', 'soon'], {})).toThrow(/--heartbeat-seconds must be a whole number/);
  });
});
