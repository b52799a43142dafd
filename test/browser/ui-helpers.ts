// Helpers for the UI browser tests: mount <chat-room> or <chat-app> against the test relay, reach into shadow roots, clean up.
import '../../client/ui/chat-room/chat-room.js';
import type { ChatRoom } from '../../client/ui/chat-room/chat-room.js';
import '../../client/ui/chat-app/chat-app.js';
import type { ChatApp } from '../../client/ui/chat-app/chat-app.js';
import { mintToken, relayInfo, uniqueUser, waitFor } from './support/helpers.js';

export { uniqueRoom, uniqueUser, waitFor, stopRelay, startRelay, relayInfo, mintToken } from './support/helpers.js';

const mounted: HTMLElement[] = [];

export interface MountOptions {
  room: string;
  user?: { id: string; name: string };
  role?: string;
  /** Extra attributes (e.g. `theme`). */
  attributes?: Record<string, string>;
  style?: string;
  relayUrl?: string;
  /** An element created by the test (to listen before it connects). */
  element?: HTMLElement;
}

/** Mounts a `<chat-room>` for `user` in `room` against the test relay, sized like a small chat window. */
export async function mountRoom(options: MountOptions): Promise<ChatRoom> {
  const user = options.user ?? uniqueUser('Ada');
  const relayUrl = options.relayUrl ?? (await relayInfo()).url;
  const el = (options.element as ChatRoom | undefined) ?? document.createElement('chat-room');
  el.setAttribute('relay', relayUrl);
  el.setAttribute('room', options.room);
  el.setAttribute('user-id', user.id);
  el.setAttribute('user-name', user.name);
  for (const [name, value] of Object.entries(options.attributes ?? {})) el.setAttribute(name, value);
  el.style.cssText = options.style ?? 'height: 420px; width: 420px; display: inline-flex; vertical-align: top;';
  const role = options.role ?? 'write';
  el.getToken = () => mintToken({ sub: user.id, name: user.name, rooms: { [options.room]: role } });
  document.body.append(el);
  mounted.push(el);
  await el.updateComplete;
  return el;
}

/** Mounts Ada's and Bob's elements in `room` and waits until both are synced. */
export async function mountPair(room: string, ada: Partial<MountOptions> = {}): Promise<{ ada: ChatRoom; bob: ChatRoom }> {
  const a = await mountRoom({ room, user: uniqueUser('Ada'), ...ada });
  const b = await mountRoom({ room, user: uniqueUser('Bob') });
  await whenSynced(a);
  await whenSynced(b);
  return { ada: a, bob: b };
}

/** Removes every mounted element and waits until the conversations they opened are closed. */
export async function unmountAll(): Promise<void> {
  const elements = mounted.splice(0);
  const conversations = elements.map((el) => (el as ChatRoom).activeConversation).filter((c) => c !== undefined);
  for (const el of elements) el.remove();
  await Promise.all(conversations.map((c) => c.close()));
}

/** One element in the shadow root (throws when absent). */
export function $(el: ChatRoom, selector: string): HTMLElement {
  const found = el.shadowRoot!.querySelector<HTMLElement>(selector);
  if (!found) throw new Error(`no ${selector} in <chat-room>`);
  return found;
}

export const $$ = (el: ChatRoom, selector: string): HTMLElement[] => [...el.shadowRoot!.querySelectorAll<HTMLElement>(selector)];

/** The rendered text of each message bubble, in order. */
export const bubbleTexts = (el: ChatRoom): string[] => $$(el, '.msg .text, .msg .deleted').map((n) => n.textContent ?? '');

/** The message element whose text contains `text`. */
export function messageWith(el: ChatRoom, text: string): HTMLElement | undefined {
  return $$(el, '.msg').find((m) => m.querySelector('.text, .deleted')?.textContent?.includes(text));
}

/** Waits until the element is caught up with the relay. */
export const whenSynced = (el: ChatRoom): Promise<unknown> => waitFor(() => el.status === 'synced', { what: 'synced' });

/** Types `text` into the composer (as input events) and submits it with Enter. */
export async function sendText(el: ChatRoom, text: string): Promise<void> {
  const input = $(el, '.input') as HTMLTextAreaElement;
  input.value = text;
  input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
  await el.updateComplete;
  input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true, cancelable: true }));
  await el.updateComplete;
}

/** Waits for a message containing `text` and returns its element. */
export const waitForMessage = (el: ChatRoom, text: string, what = `message "${text}"`): Promise<HTMLElement> =>
  waitFor(() => messageWith(el, text), { what });

// ---- <chat-app> ----

/** The app's shadow root. */
export const appRoot = (app: ChatApp): ShadowRoot => app.shadowRoot!;

/** The `<chat-room>` the app shows, if any. */
export const appRoom = (app: ChatApp): ChatRoom | null => appRoot(app).querySelector('chat-room');

/** The conversation-list item of `room`. */
export const listItem = (app: ChatApp, room: string): HTMLElement | undefined =>
  [...appRoot(app).querySelectorAll<HTMLElement>('.room-item')].find((li) => li.querySelector('.room-title')?.textContent === room);

/**
 * Mounts a `<chat-app>` against the test relay (or `relay`). The test relay is not in dev mode, so tokens come
 * from the test server instead of `POST /dev/token`, unless `devMinter` keeps the app's own minter.
 */
export async function mountApp(options: { relay?: string; devMinter?: boolean } = {}): Promise<ChatApp> {
  const app = document.createElement('chat-app');
  app.relay = options.relay ?? (await relayInfo()).url;
  if (!options.devMinter) app.mintToken = ({ name, sub }) => mintToken({ sub, name, rooms: { '*': 'write' } });
  app.style.cssText = 'display: block; height: 600px; width: 900px;';
  document.body.append(app);
  await app.updateComplete;
  return app;
}

/** Fills `field` of the form `formSelector` in the app and submits it. */
export async function submitForm(app: ChatApp, formSelector: string, field: string, value: string): Promise<void> {
  const form = await waitFor(() => appRoot(app).querySelector<HTMLFormElement>(formSelector), { what: formSelector });
  form.querySelector<HTMLInputElement>(`[name="${field}"]`)!.value = value;
  form.requestSubmit();
  await app.updateComplete;
}
