// The cluster ephemeral bus: Redis pub/sub, one channel per room plus one for instance heartbeats.
import type { Redis } from 'ioredis';
import type { BusListener, BusMessage, EphemeralBus } from './seams.js';
import type { RedisKeys } from './redis-keys.js';

/*
 * Messages are JSON (binary payloads in base64): they are small and infrequent next to updates, which never
 * travel here. Pub/sub may drop messages (a subscriber that is disconnected misses them); nothing on the bus
 * is needed for the documents' correctness: awareness states are renewed by clients every 15 s, and a room
 * deletion is also an entry in the room's log.
 */

type Wire = { kind?: unknown; from?: unknown; room?: unknown; user?: unknown; payload?: unknown };

const encode = (message: BusMessage): string =>
  JSON.stringify('payload' in message ? { ...message, payload: Buffer.from(message.payload).toString('base64') } : message);

const decode = (text: string): BusMessage | undefined => {
  try {
    const wire = JSON.parse(text) as Wire;
    if (typeof wire !== 'object' || wire === null || typeof wire.kind !== 'string' || typeof wire.from !== 'string') return undefined;
    if (wire.kind === 'awareness') {
      if (typeof wire.payload !== 'string' || typeof wire.room !== 'string') return undefined;
      return { kind: 'awareness', from: wire.from, room: wire.room, payload: new Uint8Array(Buffer.from(wire.payload, 'base64')) };
    }
    if (wire.kind === 'heartbeat') return { kind: 'heartbeat', from: wire.from };
    if (typeof wire.room !== 'string') return undefined;
    if (wire.kind === 'room-deleted' || wire.kind === 'recheck-access' || wire.kind === 'awareness-query') return { kind: wire.kind, from: wire.from, room: wire.room };
    if (wire.kind === 'member-removed' && typeof wire.user === 'string') return { kind: wire.kind, from: wire.from, room: wire.room, user: wire.user };
    return undefined;
  } catch {
    return undefined;
  }
};

export interface RedisBusOptions {
  /** Connection for PUBLISH. */
  publisher: Redis;
  /** Connection in subscriber mode (used for nothing else). */
  subscriber: Redis;
  keys: RedisKeys;
}

/** Creates the Redis pub/sub bus. */
export const createRedisBus = ({ publisher, subscriber, keys }: RedisBusOptions): EphemeralBus => {
  const listeners = new Map<string, Set<BusListener>>();

  subscriber.on('message', (channel: string, text: string) => {
    const set = listeners.get(channel);
    if (!set) return;
    const message = decode(text);
    if (message) for (const listener of [...set]) listener(message);
  });

  const subscribeTo = (channel: string, listener: BusListener): (() => void) => {
    let set = listeners.get(channel);
    if (!set) {
      listeners.set(channel, (set = new Set()));
      subscriber.subscribe(channel).catch(() => {});
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && listeners.get(channel) === set) {
        listeners.delete(channel);
        subscriber.unsubscribe(channel).catch(() => {});
      }
    };
  };

  return {
    publish(message) {
      const channel = message.kind === 'heartbeat' ? keys.heartbeats : keys.channel(message.room);
      // Best effort by design: a lost message is repaired by the next one (see above).
      publisher.publish(channel, encode(message)).catch(() => {});
    },
    subscribe: (room, listener) => subscribeTo(keys.channel(room), listener),
    subscribeHeartbeats: (listener) => subscribeTo(keys.heartbeats, listener),
    async close() {
      listeners.clear();
    },
  };
};
