// The app's sign-in: a dev-mode session (a name, a user id) kept in localStorage, and relay tokens minted for it.
import { decodeToken, type GetToken } from '../../index.js';

/** Who is signed in on this device. */
export interface Session {
  userId: string;
  name: string;
}

/** Mints a relay token for `name` with subject `sub` (the app's default asks the relay's `POST /dev/token`). */
export type MintToken = (request: { name: string; sub: string }) => Promise<string>;

const SESSION_KEY = 'parley:session';
const tokenKey = (userId: string): string => `parley:token:${userId}`;

export function loadSession(): Session | undefined {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null');
    if (typeof value !== 'object' || value === null) return undefined;
    const { userId, name } = value as Record<string, unknown>;
    return typeof userId === 'string' && typeof name === 'string' ? { userId, name } : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session): void {
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession(userId: string): void {
  localStorage.removeItem(SESSION_KEY);
  localStorage.removeItem(tokenKey(userId));
}

/**
 * A stable user id for a display name, so signing in as "Ada" again (or on another device of the same dev
 * relay) finds the same conversations. Dev mode only: anybody may pick any name there.
 */
export function devUserId(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return `dev-${slug || crypto.randomUUID()}`;
}

/** `POST {relay}/dev/token`: the relay mints a token when it runs in dev mode. */
export function devTokenMinter(relayHttpUrl: string): MintToken {
  return async ({ name, sub }) => {
    const response = await fetch(new URL('/dev/token', relayHttpUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, sub }),
    });
    if (response.status === 404) throw new Error('this relay does not hand out dev tokens (it is not in dev mode)');
    if (!response.ok) throw new Error(`the relay refused the sign-in (${response.status})`);
    const body = (await response.json()) as { token?: unknown };
    if (typeof body.token !== 'string') throw new Error('the relay answered without a token');
    return body.token;
  };
}

/**
 * The token source of a session: the last token is kept (in localStorage too, so a reload with the relay
 * down still knows it) and reused until shortly before it expires or the relay refuses it.
 */
export function sessionTokens(session: Session, mint: MintToken): GetToken {
  let cached = localStorage.getItem(tokenKey(session.userId)) ?? undefined;
  return async ({ forceRefresh }) => {
    const exp = cached ? decodeToken(cached)?.exp : undefined;
    if (cached && !forceRefresh && exp !== undefined && exp * 1000 > Date.now() + 30_000) return cached;
    cached = await mint({ name: session.name, sub: session.userId });
    localStorage.setItem(tokenKey(session.userId), cached);
    return cached;
  };
}
