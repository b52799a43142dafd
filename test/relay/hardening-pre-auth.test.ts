// Issue 11 item 8: limits before authentication — header time, pending sockets, a global cap, refusals closed at once.
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningRelay } from '../../relay/index.js';
import { mintToken, startTestRelay, tempDir, waitFor, wsBase } from './helpers.js';

/** A raw TCP client that records what the server sent and whether it closed the connection. */
const tcp = (relay: RunningRelay, send: string) => {
  const socket: Socket = connect(relay.port, '127.0.0.1');
  const state = { received: '', closed: false, socket };
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (state.received += chunk));
  socket.on('close', () => (state.closed = true));
  socket.on('error', () => {});
  socket.write(send);
  return state;
};

/** The start of a request whose headers never end (slowloris). */
const UNFINISHED = 'GET /rooms/lobby?token=x HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nX-Slow: ';

/** Opens a WebSocket and reports how it went: open, or the HTTP status and body it was refused with. */
const tryConnect = (url: string) =>
  new Promise<{ open: true; ws: WebSocket } | { open: false; status: number; body: string }>((resolve) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve({ open: true, ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ open: false, status: res.statusCode ?? 0, body }));
    });
    ws.once('error', () => resolve({ open: false, status: 0, body: '' }));
  });

describe('pre-authentication limits (issue 11, item 8)', () => {
  it('caps sockets that have not finished their headers, answers the rest 503 at once, and times the slow ones out', async () => {
    const data = tempDir();
    const relay = await startTestRelay({ dataDir: data.dir, limits: { maxPendingSockets: 20, maxPendingSocketsPerIp: 0, headersTimeoutMs: 1000 } });
    try {
      const slow = Array.from({ length: 30 }, () => tcp(relay, UNFINISHED));
      // Ten over the cap are refused at once with a clear answer, not held.
      await waitFor(() => slow.filter((s) => s.closed).length >= 10, 10_000, 'over-cap sockets refused');
      const refused = slow.filter((s) => s.received.startsWith('HTTP/1.1 503'));
      expect(refused.length).toBe(10);
      expect(refused[0]!.received).toContain('too-many-pending-sockets');
      // The others never finish their headers: the relay closes them after the header timeout.
      await waitFor(() => slow.every((s) => s.closed), 15_000, 'slow sockets closed');
      // Honest clients get in again.
      const result = await tryConnect(`${wsBase(relay)}/lobby?token=${await mintToken()}`);
      expect(result.open).toBe(true);
      if (result.open) result.ws.close();
      const metrics = await (await fetch(`${relay.url}/metrics`)).text();
      expect(metrics).toMatch(/parley_refusals_total\{reason="too-many-pending-sockets"\} 10/);
    } finally {
      await relay.close();
      data.cleanup();
    }
  }, 60_000);

  it('refuses connections over the global cap with 503 and a JSON reason', async () => {
    const data = tempDir();
    const relay = await startTestRelay({ dataDir: data.dir, limits: { maxConnections: 5 } });
    try {
      const token = await mintToken();
      const open: WebSocket[] = [];
      for (let i = 0; i < 5; i++) {
        const result = await tryConnect(`${wsBase(relay)}/capped?token=${token}`);
        if (!result.open) throw new Error(`connection ${i} refused: ${result.status}`);
        open.push(result.ws);
      }
      const sixth = await tryConnect(`${wsBase(relay)}/capped?token=${token}`);
      expect(sixth).toMatchObject({ open: false, status: 503 });
      if (!sixth.open) expect(JSON.parse(sixth.body)).toEqual({ error: { code: 'too-many-connections', message: 'the relay is at its connection limit; retry later' } });
      for (const ws of open) ws.close();
      // Slots come back as sockets close.
      await waitFor(async () => (await tryConnect(`${wsBase(relay)}/capped?token=${token}`)).open, 10_000, 'slot free again');
    } finally {
      await relay.close();
      data.cleanup();
    }
  }, 60_000);

  it('closes a refused upgrade at once, even when the client never answers the close frame', async () => {
    const data = tempDir();
    const relay = await startTestRelay({ dataDir: data.dir });
    try {
      const key = Buffer.from('0123456789abcdef').toString('base64');
      const started = Date.now();
      const client = tcp(
        relay,
        `GET /rooms/lobby?token=not-a-token HTTP/1.1\r\nHost: relay\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`,
      );
      // It gets 101 and a 4401 close frame, never replies, and the relay still closes the TCP connection
      // (ws would otherwise wait 30 s for the reply).
      await waitFor(() => client.closed, 20_000, 'refused socket closed');
      expect(client.received.startsWith('HTTP/1.1 101')).toBe(true);
      const frame = Buffer.from(client.received.slice(client.received.indexOf('\r\n\r\n') + 4), 'latin1');
      expect(frame[0]).toBe(0x88);
      expect(frame.readUInt16BE(2)).toBe(4401);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await relay.close();
      data.cleanup();
    }
  }, 60_000);
});
