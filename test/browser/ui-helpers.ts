// Helpers for the UI browser tests: mount <chat-room> against the test relay, reach into its shadow root, clean up.
import '../../client/ui/chat-room/chat-room.js';
import type { ChatRoom } from '../../client/ui/chat-room/chat-room.js';
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
}

/** Mounts a `<chat-room>` for `user` in `room` against the test relay, sized like a small chat window. */
export async function mountRoom(options: MountOptions): Promise<ChatRoom> {
  const user = options.user ?? uniqueUser('Ada');
  const relayUrl = options.relayUrl ?? (await relayInfo()).url;
  const el = document.createElement('chat-room');
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
