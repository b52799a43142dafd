// Helpers for push tests: a relay sending to the test push service, users online or subscribed, preferences, counters.
import type { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';
import type { RunningRelay } from '../../relay/index.js';
import { setPreferences, setSetting, type ConversationPreferences } from '../../shared/account.js';
import type { TestPushService } from '../support/push-service.js';
import { connectProvider, synced, waitFor } from './helpers.js';
import { call, userToken } from './membership-helpers.js';

/** One labelled series of a counter from /metrics (0 when absent). */
export async function counter(relay: RunningRelay, name: string, label: string, value: string): Promise<number> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${label}="${value}"} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

/** An unlabelled gauge from /metrics. */
export async function gauge(relay: RunningRelay, name: string): Promise<number> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

/** New messages the relay has decided about so far. */
export const considered = (relay: RunningRelay) => counter(relay, 'parley_push_decisions_total', 'outcome', 'considered');

/**
 * Waits until the relay has decided about at least `count` messages in all and nothing is waiting (no burst
 * window open, nothing queued, in flight or waiting to retry): every push those messages cause has reached
 * the push service. This is how a test asserts that a message caused no push, without sleeping.
 */
export async function settled(relay: RunningRelay, count: number): Promise<void> {
  await waitFor(async () => (await considered(relay)) >= count && (await gauge(relay, 'parley_push_pending')) === 0, 15_000, `${count} messages decided and no push pending`);
}

/** Opens `room` as `user` (a live connection: the user is online there). */
export async function online(relay: RunningRelay, user: string, room: string): Promise<WebsocketProvider> {
  const provider = connectProvider(relay, room, await userToken(user));
  await synced(provider);
  return provider;
}

/** Registers a new device of `user` at the test push service. */
export async function subscribeDevice(relay: RunningRelay, service: TestPushService, user: string, device: string): Promise<void> {
  const { status, body } = await call(relay, await userToken(user), 'POST', '/push/subscriptions', { subscription: service.subscribe(device) });
  if (status !== 201) throw new Error(`subscribing ${device} failed: ${status} ${JSON.stringify(body)}`);
}

/**
 * Changes `user`'s account document (their preferences) through one device and waits until a second device
 * sees the change: the relay has applied it, so later messages are decided with it.
 */
export async function changeAccount(relay: RunningRelay, user: string, change: (doc: Y.Doc) => void, seen: (doc: Y.Doc) => boolean): Promise<void> {
  const device = await online(relay, user, '~account');
  change(device.doc);
  const other = await online(relay, user, '~account');
  await waitFor(() => seen(other.doc), 5000, `${user}'s account change seen by a second device`);
  device.destroy();
  other.destroy();
}

/** Sets `user`'s preferences for `room`. */
export const setRoomPreferences = (relay: RunningRelay, user: string, room: string, prefs: ConversationPreferences) =>
  changeAccount(relay, user, (doc) => setPreferences(doc, room, prefs), (doc) => {
    const stored = doc.getMap<Record<string, unknown>>('preferences').get(room);
    return stored !== undefined && Object.entries(prefs).every(([key, value]) => stored[key] === value);
  });

/** Sets `user`'s "hide message text". */
export const setHideMessageText = (relay: RunningRelay, user: string, hide: boolean) =>
  changeAccount(relay, user, (doc) => setSetting(doc, 'hideMessageText', hide), (doc) => doc.getMap('settings').get('hideMessageText') === hide);
