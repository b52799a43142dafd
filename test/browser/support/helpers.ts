// Helpers for the client's browser tests: polling, relay control, tokens, and conversations that clean up after themselves.
import { executeServerCommand } from '@web/test-runner-commands';
import { openConversation, type Conversation, type ConversationState, type OpenConversationOptions } from '../../../client/index.js';

/** Polls `check` until it returns a truthy value (returned) or throws its last error after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, { timeoutMs = 10_000, intervalMs = 20, what = 'condition' } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw lastError instanceof Error ? lastError : new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const relayInfo = (): Promise<{ url: string; running: boolean }> => executeServerCommand('relay-info');
export const stopRelay = (): Promise<boolean> => executeServerCommand('relay-stop');
export const startRelay = (options: { newSecret?: boolean } = {}): Promise<boolean> => executeServerCommand('relay-start', options);
/** The relay's URL through a proxy whose network `cutNetwork` can cut (half-open sockets, silence). */
export const networkInfo = (): Promise<{ url: string }> => executeServerCommand('network-info');
export const cutNetwork = (cut: boolean): Promise<boolean> => executeServerCommand('network-cut', { cut });

/**
 * What the browser does when the device loses or regains its network: `navigator.onLine` and the
 * `offline`/`online` event. (Chromium's own offline emulation would also cut the test runner's connection.)
 */
export function signalBrowserOnline(online: boolean): void {
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => online });
  window.dispatchEvent(new Event(online ? 'online' : 'offline'));
}

export interface TokenRequest {
  sub: string;
  name?: string;
  rooms: Record<string, string>;
  ttlSeconds?: number;
}

export const deleteRoom = (room: string): Promise<number> => executeServerCommand('relay-delete-room', { room });

export const mintToken = (request: TokenRequest): Promise<string> => executeServerCommand('relay-token', request);

let counter = 0;
/** A room name no other test uses (the relay keeps its data for the whole run). */
export const uniqueRoom = (label: string): string => `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** A unique user id, so IndexedDB databases never carry over between tests. */
export const uniqueUser = (name: string): { id: string; name: string } => ({ id: `${name.toLowerCase()}-${Math.random().toString(36).slice(2, 10)}`, name });

const opened: Conversation[] = [];

/** Opens a conversation against the test relay with a write token; closed by `closeAll`. */
export async function open(
  room: string,
  user: { id: string; name: string },
  extra: Partial<OpenConversationOptions> & { role?: string; ttlSeconds?: number } = {},
): Promise<Conversation> {
  const { url } = await relayInfo();
  const { role = 'write', ttlSeconds, ...options } = extra;
  const conversation = openConversation({
    relayUrl: url,
    room,
    user,
    getToken: () => mintToken({ sub: user.id, name: user.name, rooms: { [room]: role }, ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) }),
    backoff: { baseMs: 100, maxMs: 1_000 },
    ...options,
  });
  opened.push(conversation);
  return conversation;
}

export async function closeAll(): Promise<void> {
  await Promise.all(opened.splice(0).map((c) => c.close()));
}

/** Waits until `conversation`'s state satisfies `check`. */
export const until = (conversation: Conversation, check: (state: ConversationState) => unknown, what?: string, timeoutMs?: number): Promise<unknown> =>
  waitFor(() => check(conversation.getState()), { ...(what ? { what } : {}), ...(timeoutMs ? { timeoutMs } : {}) });

export const texts = (conversation: Conversation): string[] => conversation.getState().messages.map((m) => m.text);

/** Records the URL of every WebSocket this page opens from now on; `stop` restores the real constructor. */
export function watchSockets(): { urls: string[]; stop: () => void } {
  const Original = window.WebSocket;
  const urls: string[] = [];
  window.WebSocket = class extends Original {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      urls.push(String(url));
    }
  } as typeof WebSocket;
  return { urls, stop: () => { window.WebSocket = Original; } };
}
