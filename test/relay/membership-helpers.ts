// Helpers for membership tests: HTTP calls with a bearer token, close events of stock providers, roster snapshots.
import type { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';
import type { RunningRelay } from '../../relay/index.js';
import { getRoster } from '../../shared/roster.js';
import { mintToken, waitFor } from './helpers.js';

/** A token for `sub` that grants no room: access comes from rosters alone. */
export const userToken = (sub: string, rooms: Record<string, 'read' | 'write' | 'admin'> = {}): Promise<string> =>
  mintToken({ sub, name: sub, rooms });

/** Calls a membership endpoint; returns the status and parsed JSON body. */
export async function call(relay: RunningRelay, token: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${relay.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: await res.json() };
}

/** Creates a conversation as `token`'s user; fails the test unless the relay created it (or found the direct one). */
export async function create(relay: RunningRelay, token: string, body: Record<string, unknown>): Promise<string> {
  const { status, body: json } = await call(relay, token, 'POST', '/conversations', body);
  if (status !== 201 && status !== 200) throw new Error(`create failed: ${status} ${JSON.stringify(json)}`);
  return json.room as string;
}

/** Resolves with the first close the relay sent to `provider` (code and reason). */
export function closeOf(provider: WebsocketProvider): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    provider.on('connection-close', (event) => {
      if (event) resolve({ code: event.code, reason: event.reason });
    });
  });
}

/** The roster as user → role. */
export const rolesOf = (doc: Y.Doc): Record<string, string> =>
  Object.fromEntries([...getRoster(doc)].map(([user, entry]) => [user, entry.role]));

/** Waits until `doc`'s roster gives `user` the role `role` (undefined: no entry). */
export const waitForRole = (doc: Y.Doc, user: string, role: string | undefined) =>
  waitFor(() => rolesOf(doc)[user] === role, 5000, `${user} to be ${role ?? 'gone'}`);
