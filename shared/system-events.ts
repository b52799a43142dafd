// System entries of a conversation (joined, left, removed, banned, role changed, renamed): written only by the relay.
import type * as Y from 'yjs';
import type { RosterRole } from './roster.js';
import type { MessageRecord } from './schema.js';

/**
 * The top-level `Y.Array` `events` of a conversation document holds one record per membership or settings
 * change, appended by the relay (its own transaction origin) when it accepts the change or makes it itself.
 * The relay's guard refuses any client write to `events`, so an entry there is never a forgery.
 */
export const EVENTS = 'events';

export const SYSTEM_EVENT_TYPES = ['created', 'joined', 'left', 'removed', 'banned', 'role', 'renamed'] as const;
export type SystemEventType = (typeof SYSTEM_EVENT_TYPES)[number];

/** One system entry. `actor` did it (a user id, or `~relay`); `target` is the member concerned. */
export interface SystemEvent {
  type: SystemEventType;
  actor: string;
  target?: string;
  /** The target's new role (`role`, `joined`). */
  role?: RosterRole;
  /** The new title (`renamed`, `created`). */
  title?: string;
  /** When the relay recorded it, ms since the epoch. */
  at: number;
}

/** The conversation's system entries in the order the relay wrote them. */
export function getSystemEvents(doc: Y.Doc): SystemEvent[] {
  if (!doc.share.has(EVENTS)) return [];
  return doc.getArray<SystemEvent>(EVENTS).toArray().filter((e) => typeof e === 'object' && e !== null && typeof e.type === 'string');
}

/** One line of a conversation's history: a message or a system entry. */
export type TimelineEntry<M = MessageRecord> = { kind: 'message'; message: M } | { kind: 'event'; event: SystemEvent };

/**
 * Messages (in conversation order) with system entries placed among them by time: an entry goes before the
 * first message created after it. Stable on every replica, since both inputs are.
 */
export function timeline<M extends { createdAt: number } = MessageRecord>(messages: readonly M[], events: readonly SystemEvent[]): TimelineEntry<M>[] {
  const out: TimelineEntry<M>[] = [];
  let e = 0;
  for (const message of messages) {
    while (e < events.length && events[e]!.at <= message.createdAt) out.push({ kind: 'event', event: events[e++]! });
    out.push({ kind: 'message', message });
  }
  while (e < events.length) out.push({ kind: 'event', event: events[e++]! });
  return out;
}

/** A short human sentence for a system entry, given a way to name users. */
export function describeSystemEvent(event: SystemEvent, nameOf: (userId: string) => string = (id) => id): string {
  const actor = event.actor === '~relay' ? 'Someone' : nameOf(event.actor);
  const target = event.target === undefined ? '' : nameOf(event.target);
  switch (event.type) {
    case 'created':
      return `${actor} created this conversation${event.title ? ` “${event.title}”` : ''}`;
    case 'joined':
      return event.actor === event.target || event.actor === '~relay' ? `${target} joined` : `${actor} added ${target}`;
    case 'left':
      return `${target} left`;
    case 'removed':
      return `${actor} removed ${target}`;
    case 'banned':
      return `${actor} banned ${target}`;
    case 'role':
      return `${actor} made ${target} ${event.role === 'admin' || event.role === 'owner' ? 'an' : 'a'} ${event.role}`;
    case 'renamed':
      return `${actor} renamed the conversation to “${event.title ?? ''}”`;
  }
}
