// Turns a conversation's new, durable messages into pushes: candidates → preferences → collapse per room → one push per device.
import type { Logger } from 'pino';
import { conversationKind } from '../../shared/membership.js';
import type { MessageRecord } from '../../shared/schema.js';
import type { Room } from '../room.js';
import type { Counter } from '../metrics.js';
import { observeNewMessages } from './new-messages.js';
import { pushCandidates, mentions, wantsPush } from './push-decider.js';
import type { NotifyPreferencesCache } from './notify-preferences.js';
import type { SubscriptionStore } from './subscription-store.js';
import { buildPayload, conversationTitle, senderNameOf, topicOf, type NotificationContent } from './push-payload.js';
import { createPushCollapser, type CollapsedNotification } from './push-collapse.js';
import type { PushSender } from './push-sender.js';

export interface PushNotifierDeps {
  store: SubscriptionStore;
  preferences: NotifyPreferencesCache;
  sender: PushSender;
  /** A room's burst window (see push-collapse.ts). */
  collapseMs: number;
  /** Open (user, room) windows at most. */
  maxPending: number;
  /** Per new message: `considered`; per candidate: `notify`, `level` (their level or mute says no), `unavailable` (preferences unreadable). */
  decisions: Counter;
  log: Logger;
}

export interface PushNotifier {
  /** Starts watching a loaded conversation room for new messages (once per room). */
  watch(room: Room): void;
  readonly pending: number;
  close(): void;
}

export function createPushNotifier(deps: PushNotifierDeps): PushNotifier {
  const { store, preferences, sender, decisions } = deps;
  const watched = new WeakSet<Room>();
  let closed = false;

  /**
   * Who is connected to a room, read once per turn of the event loop: the windows a message opened for hundreds of
   * members end in the same timers phase, and no connection comes or goes within it.
   */
  let online: { room: Room; users: Set<string> } | undefined;
  const onlineIn = (room: Room): Set<string> => {
    if (online?.room !== room) {
      if (online === undefined) setImmediate(() => (online = undefined));
      online = { room, users: new Set(Array.from(room.peers, (peer) => peer.userId)) };
    }
    return online.users;
  };
  /** The last payload built: those windows mostly end with equal payloads too. */
  let last: { key: string; payload: string; topic: string } | undefined;
  const send = (room: Room, notification: CollapsedNotification): void => {
    // Connected meanwhile (opened the app during the burst): their client has the messages already.
    if (onlineIn(room).has(notification.user)) return;
    // Everything the payload is made of (kind follows from the room; the rest from the record).
    const { room: name, record, count, mention, hideMessageText, title, senderName } = notification;
    const key = `${name}\n${record.id}\n${count}\n${mention}\n${hideMessageText}\n${title}\n${senderName}`;
    if (last?.key !== key) last = { key, payload: JSON.stringify(buildPayload(notification)), topic: topicOf(name) };
    const { payload, topic } = last;
    const urgency = notification.kind === 'direct' || notification.anyMention ? 'high' : 'normal';
    for (const subscription of store.of(notification.user)) sender.send({ subscription, payload, urgency, topic });
  };
  const rooms = new Map<string, Room>();
  const collapser = createPushCollapser(deps.collapseMs, deps.maxPending, (notification) => {
    const room = rooms.get(`${notification.user}\n${notification.room}`);
    rooms.delete(`${notification.user}\n${notification.room}`);
    if (room && !closed) send(room, notification);
  });

  /** Decides for each new record once it is durable (never before: a push must not announce a message that could be lost). */
  const decide = async (room: Room, records: readonly MessageRecord[]): Promise<void> => {
    const kind = conversationKind(room.doc) ?? 'group';
    for (const record of records) {
      decisions.inc({ outcome: 'considered' });
      // No device subscribed on this relay at all: not even the roster is read.
      if (store.total === 0) continue;
      const candidates = pushCandidates(room, record.author, store.has);
      if (candidates.length === 0) continue;
      // Read from the document now: it may be unloaded while preferences load.
      const senderName = senderNameOf(room.doc, record.author);
      const titles = { shown: conversationTitle(room.doc, room.name, kind, senderName), hidden: conversationTitle(room.doc, room.name, kind, undefined) };
      const all = await Promise.all(candidates.map((user) => preferences.get(user).catch(() => undefined)));
      const now = Date.now();
      // At most four contents (hidden text or not, mentioned or not), shared by every candidate alike: not one object per member.
      const contents = new Map<string, NotificationContent>();
      const contentFor = (hide: boolean, mention: boolean): NotificationContent => {
        const key = `${hide}${mention}`;
        let content = contents.get(key);
        if (content === undefined) {
          content = { room: room.name, kind, title: hide ? titles.hidden : titles.shown, record, senderName, mention, count: 1, hideMessageText: hide };
          contents.set(key, content);
        }
        return content;
      };
      // Counted per message, not per candidate (a label lookup each).
      const counts = { unavailable: 0, level: 0, notify: 0, dropped: 0 };
      candidates.forEach((user, i) => {
        const prefs = all[i];
        if (prefs === undefined) return counts.unavailable++;
        if (!wantsPush(prefs, room.name, kind, record, user, now)) return counts.level++;
        counts.notify++;
        if (collapser.add(user, contentFor(prefs.hideMessageText, mentions(record, user)))) rooms.set(`${user}\n${room.name}`, room);
        else counts.dropped++;
      });
      for (const [outcome, n] of Object.entries(counts)) if (n > 0) decisions.inc({ outcome }, n);
    }
  };

  return {
    watch(room) {
      if (watched.has(room) || closed) return;
      watched.add(room);
      observeNewMessages(room.doc, (records) => {
        // The observer runs inside the accepting transaction; the append is queued right after it (accept-update.ts),
        // so a microtask later `flush()` covers it. A failed append leaves the room failed: nothing is announced.
        queueMicrotask(() => {
          room.flush().then(
            () => {
              if (closed || (!room.writable && !room.closing)) return;
              return decide(room, records);
            },
          ).catch((error: unknown) => deps.log.warn({ err: error, room: room.name }, 'push decision failed'));
        });
      });
    },
    get pending() {
      return collapser.pending;
    },
    close() {
      closed = true;
      collapser.close();
      rooms.clear();
    },
  };
}
