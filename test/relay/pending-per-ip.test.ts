// The per-remote-address cap on sockets still sending their headers: one address cannot take every pre-header slot.
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningRelay } from '../../relay/index.js';
import { normaliseAddress } from '../../relay/connection-gate.js';
import { mintToken, startTestRelay, tempDir, waitFor, wsBase } from './helpers.js';

/** A raw TCP client from `localAddress` that records what the server sent and whether it closed the connection. */
const tcp = (relay: RunningRelay, localAddress: string, send: string) => {
  const socket: Socket = connect({ port: relay.port, host: '127.0.0.1', localAddress });
  const state = { received: '', closed: false, connected: false, socket };
  socket.setEncoding('latin1');
  socket.on('connect', () => (state.connected = true));
  socket.on('data', (chunk: string) => (state.received += chunk));
  socket.on('close', () => (state.closed = true));
  socket.on('error', () => {});
  socket.write(send);
  return state;
};

/** The start of a request whose headers never end (slowloris). */
const UNFINISHED = 'GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Slow: ';
/** A complete request that closes the connection once answered. */
const request = (path: string) => `GET ${path} HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n`;

/** Sends a complete request from `localAddress` and resolves with the whole response once the server closed. */
const get = async (relay: RunningRelay, localAddress: string, path: string): Promise<string> => {
  const client = tcp(relay, localAddress, request(path));
  await waitFor(() => client.closed, 20_000, `the response to ${path}`);
  return client.received;
};

/** Opens a WebSocket from `localAddress`: open (and not yet authenticated, for `/sync`), or the HTTP status it was refused with. */
const tryConnect = (url: string, localAddress: string) =>
  new Promise<{ open: true; ws: WebSocket; first: Promise<string> } | { open: false; status: number }>((resolve) => {
    const ws = new WebSocket(url, { localAddress });
    // What the server does first once open (listened to from the start: it may come in the same packet as the 101).
    const first = new Promise<string>((done) => {
      ws.once('message', () => done('message'));
      ws.once('close', (code) => done(`closed ${code}`));
    });
    ws.once('open', () => resolve({ open: true, ws, first }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ open: false, status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('error', () => resolve({ open: false, status: 0 }));
  });

/** A WebSocket upgrade whose key ws rejects (400) after the relay has counted it. */
const badHandshake = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: nope\r\n\r\n`;

describe('pending sockets per remote address', () => {
  it('refuses the address over its cap with a 503, serves other addresses, and frees slots as sockets close', async () => {
    const data = tempDir();
    const relay = await startTestRelay({ dataDir: data.dir, limits: { maxPendingSocketsPerIp: 4, headersTimeoutMs: 60_000 } });
    const slow: ReturnType<typeof tcp>[] = [];
    try {
      for (let i = 0; i < 4; i++) slow.push(tcp(relay, '127.0.0.1', UNFINISHED));
      // Connected ones sit in the accept queue ahead of any later connection from the same address.
      await waitFor(() => slow.every((s) => s.connected), 20_000, 'the slow sockets connected');
      const fifth = tcp(relay, '127.0.0.1', UNFINISHED);
      await waitFor(() => fifth.closed, 20_000, 'the fifth socket refused');
      expect(fifth.received).toMatch(/^HTTP\/1\.1 503 /);
      const body = fifth.received.slice(fifth.received.indexOf('\r\n\r\n') + 4);
      expect(JSON.parse(body)).toEqual({
        error: { code: 'too-many-pending-sockets-per-ip', message: 'too many connections from your address are still sending their headers; retry later' },
      });
      expect(slow.some((s) => s.closed)).toBe(false);

      // Another address is served meanwhile.
      expect(await get(relay, '127.0.0.2', '/healthz')).toMatch(/^HTTP\/1\.1 200 /);
      const metrics = await get(relay, '127.0.0.2', '/metrics');
      expect(metrics).toMatch(/parley_refusals_total\{reason="too-many-pending-sockets-per-ip"\} 1\n/);
      expect(metrics).toMatch(/parley_pending_sockets 4\n/);
      expect(metrics).toMatch(/parley_pending_socket_addresses 1\n/);

      // Closing one slow socket frees a slot for the first address.
      slow.pop()!.socket.destroy();
      await waitFor(async () => (await get(relay, '127.0.0.1', '/healthz')).startsWith('HTTP/1.1 200 '), 20_000, 'a slot free again');

      // Once none is pending, the per-address map holds nothing.
      for (const s of slow) s.socket.destroy();
      await waitFor(async () => /parley_pending_socket_addresses 0\n/.test(await get(relay, '127.0.0.2', '/metrics')), 20_000, 'the map emptied');
    } finally {
      for (const s of slow) s.socket.destroy();
      await relay.close();
      data.cleanup();
    }
  }, 60_000);

  it('caps /sync sockets waiting for their auth frame per address, and frees the slot when one closes', async () => {
    const data = tempDir();
    const relay = await startTestRelay({ dataDir: data.dir, limits: { maxPendingSocketsPerIp: 2, upgradeTimeoutMs: 60_000 } });
    const sockets: WebSocket[] = [];
    const sync = relay.url.replace(/^http/, 'ws') + '/sync';
    try {
      for (let i = 0; i < 2; i++) {
        const result = await tryConnect(sync, '127.0.0.1');
        if (!result.open) throw new Error(`socket ${i} refused: ${result.status}`);
        sockets.push(result.ws);
      }
      // Both wait for their first frame (never sent): a third from the same address is refused, another address is not.
      expect(await tryConnect(sync, '127.0.0.1')).toMatchObject({ open: false, status: 503 });
      const other = await tryConnect(sync, '127.0.0.2');
      expect(other.open).toBe(true);
      if (other.open) sockets.push(other.ws);
      const metrics = await get(relay, '127.0.0.2', '/metrics');
      expect(metrics).toMatch(/parley_refusals_total\{reason="too-many-pending-upgrades-per-ip"\} 1\n/);
      sockets.shift()!.close();
      const again = await waitFor(async () => {
        const result = await tryConnect(sync, '127.0.0.1');
        return result.open ? result.ws : undefined;
      }, 20_000, 'a slot free again');
      sockets.push(again);
    } finally {
      for (const ws of sockets) ws.terminate();
      await relay.close();
      data.cleanup();
    }
  }, 60_000);

  it('gives back every slot when ws itself refuses a counted handshake', async () => {
    const data = tempDir();
    const relay = await startTestRelay({ dataDir: data.dir, limits: { maxPendingUpgrades: 2, connectionsPerUser: 1, maxPendingSocketsPerIp: 2 } });
    const sockets: WebSocket[] = [];
    try {
      const token = await mintToken();
      // Three bad handshakes on each endpoint: more than the pending, per-address and per-user caps.
      for (let i = 0; i < 3; i++) {
        for (const path of ['/sync', `/rooms/lobby?token=${token}`]) {
          const client = tcp(relay, '127.0.0.1', badHandshake(path));
          await waitFor(() => client.closed, 20_000, 'the bad handshake answered');
          expect(client.received).toMatch(/^HTTP\/1\.1 400 /);
        }
      }
      const room = await tryConnect(`${wsBase(relay)}/lobby?token=${token}`, '127.0.0.1');
      expect(room.open).toBe(true);
      if (room.open) sockets.push(room.ws);
      // Served (the relay's sync step 1 arrives), not closed 4429 for a per-user slot leaked by the bad handshake.
      if (room.open) expect(await room.first).toBe('message');
      const sync = await tryConnect(relay.url.replace(/^http/, 'ws') + '/sync', '127.0.0.1');
      expect(sync.open).toBe(true);
      if (sync.open) sockets.push(sync.ws);
    } finally {
      for (const ws of sockets) ws.terminate();
      await relay.close();
      data.cleanup();
    }
  }, 60_000);

  it('counts an IPv4 peer seen through an IPv6 socket under its IPv4 address', () => {
    expect(normaliseAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normaliseAddress('::FFFF:10.1.2.3')).toBe('10.1.2.3');
    expect(normaliseAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(normaliseAddress('2001:DB8::1')).toBe('2001:db8::1');
    expect(normaliseAddress('::ffff:abcd')).toBe('::ffff:abcd');
  });
});
