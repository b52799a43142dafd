// The app's open conversations: one per room of the user's inbox, kept open for live unread counts, presence and notifications.
import { openConversation, watchInbox, type Conversation, type ConversationState, type GetToken, type InboxEntry, type MessageView, type Presence } from '../../index.js';
import { roomStatus, type RoomStatus } from '../chat-room/room-status.js';
import { displayName } from '../shared/names.js';
import { NewMessageTracker } from '../shared/new-messages.js';

/** What the conversation list shows for one room. */
export interface RoomSummary {
  room: string;
  title: string;
  unread: number;
  /** Unread messages mentioning the user (the "@" badge). */
  mentions: number;
  last: { authorName: string; text: string; createdAt: number; deleted: boolean; mine: boolean } | undefined;
  /** Other people connected to the room now. */
  online: number;
  status: RoomStatus;
  /** For ordering: the last message's time, else when the room was first joined on this device (stable across reloads). */
  activity: number;
  /** This user's messages still waiting in the outbox. */
  pending: number;
}

export interface PoolOptions {
  relayUrl: string;
  user: { id: string; name: string };
  getToken: GetToken;
  /** Called (batched per microtask) whenever any room's summary may have changed. */
  onChange: () => void;
  /** A message from someone else arrived in `room` after the first sync. */
  onArrival: (room: string, message: MessageView, authorName: string) => void;
  /** Rooms kept open at once (the most recently active ones). */
  maxOpen?: number;
}

const joinedKey = (userId: string): string => `parley:joined:${userId}`;

interface Entry {
  conversation: Conversation;
  tracker: NewMessageTracker;
  unsubscribe: () => void;
}

/**
 * Opens the rooms in the user's inbox (rooms opened on this device before) and any room joined now. The
 * inbox comes from IndexedDB, so with the relay down the list and every conversation still open from cache.
 */
export class ConversationPool {
  private readonly entries = new Map<string, Entry>();
  private inbox: InboxEntry[] = [];
  private readonly stopInbox: () => void;
  private changeScheduled = false;
  private closed = false;
  /** When each room was first seen on this device: the inbox's `openedAt` moves on every open, so empty rooms would jump to the top. */
  private readonly joined: Record<string, number>;

  constructor(private readonly options: PoolOptions) {
    this.joined = loadJoined(options.user.id);
    this.background = options.maxOpen ?? 30;
    this.stopInbox = watchInbox(options.user.id, (entries) => {
      this.inbox = entries;
      for (const entry of entries.slice(0, this.background)) this.open(entry.room);
      this.changed();
    });
  }

  /** How many inbox rooms are kept open in the background (the rest show the inbox's cached summary). */
  private background: number;

  /** Changes how many inbox rooms are kept open (e.g. 0 in a tab that leaves live badges to another tab). */
  setBackground(count: number): void {
    this.background = count;
    for (const entry of this.inbox.slice(0, count)) this.open(entry.room);
  }

  /** The conversation of `room`, opening it if needed (throws a ClientError for an invalid room name). */
  open(room: string): Conversation {
    const existing = this.entries.get(room);
    if (existing) return existing.conversation;
    this.noteJoined(room);
    // One socket per browser: the app's session token grants the same rooms in every tab (see socketScope).
    const conversation = openConversation({ relayUrl: this.options.relayUrl, room, user: this.options.user, getToken: this.options.getToken, socketScope: 'browser' });
    const tracker = new NewMessageTracker();
    const unsubscribe = conversation.subscribe((state) => {
      for (const message of tracker.update(state)) this.options.onArrival(room, message, displayName(state, message.author));
      this.changed();
    });
    this.entries.set(room, { conversation, tracker, unsubscribe });
    this.changed();
    return conversation;
  }

  get(room: string): Conversation | undefined {
    return this.entries.get(room)?.conversation;
  }

  /** Every known room, most recently active first. */
  summaries(): RoomSummary[] {
    const rooms = new Set([...this.entries.keys(), ...this.inbox.map((e) => e.room)]);
    return [...rooms].map((room) => this.summary(room)).sort((a, b) => b.activity - a.activity || a.room.localeCompare(b.room));
  }

  summary(room: string): RoomSummary {
    const state = this.entries.get(room)?.conversation.getState();
    const inbox = this.inbox.find((e) => e.room === room);
    if (!state || !state.loaded) {
      const last = inbox?.lastMessage;
      return {
        room,
        title: inbox?.title || room,
        unread: inbox?.unread ?? 0,
        mentions: inbox?.mentions ?? 0,
        last: last
          ? { authorName: last.authorName ?? last.author, text: last.text, createdAt: last.createdAt, deleted: last.deleted === true, mine: last.author === this.options.user.id }
          : undefined,
        online: 0,
        status: roomStatus(state),
        activity: last?.createdAt ?? this.joinedAt(room, inbox),
        pending: 0,
      };
    }
    const last = state.messages.at(-1);
    return {
      room,
      title: state.meta.title || room,
      unread: state.unread,
      mentions: state.unreadMentions,
      last: last ? { authorName: displayName(state, last.author), text: last.text, createdAt: last.createdAt, deleted: last.deleted, mine: last.mine } : undefined,
      online: state.presence.filter((p) => !p.self).length,
      status: roomStatus(state),
      activity: last?.createdAt ?? this.joinedAt(room, inbox),
      pending: pendingIn(state),
    };
  }

  /** Messages of this user not sent yet, over every open room. */
  pendingCount(): number {
    let count = 0;
    for (const { conversation } of this.entries.values()) count += pendingIn(conversation.getState());
    return count;
  }

  private joinedAt(room: string, inbox: InboxEntry | undefined): number {
    return this.joined[room] ?? inbox?.openedAt ?? 0;
  }

  private noteJoined(room: string): void {
    if (this.joined[room] !== undefined) return;
    // A room already in the inbox was joined before this device kept the date: its oldest known open time stands in.
    const inbox = this.inbox.find((e) => e.room === room);
    this.joined[room] = inbox ? Math.min(inbox.openedAt, inbox.updatedAt) : Date.now();
    try {
      localStorage.setItem(joinedKey(this.options.user.id), JSON.stringify(this.joined));
    } catch {
      // Storage full or disabled: the order falls back to the inbox's open times.
    }
  }

  /** Applies the user's presence and custom status in every open room. */
  setPresence(presence: Presence, status?: string): void {
    for (const { conversation } of this.entries.values()) conversation.setPresence(presence, status);
  }

  /** Changes the display name in every open room's member profile. */
  setName(name: string): void {
    for (const { conversation } of this.entries.values()) {
      try {
        conversation.setProfile({ name });
      } catch {
        // A read-only room keeps the old name; nothing to do.
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopInbox();
    const entries = [...this.entries.values()];
    this.entries.clear();
    for (const entry of entries) entry.unsubscribe();
    await Promise.all(entries.map((entry) => entry.conversation.close()));
  }

  private changed(): void {
    if (this.changeScheduled || this.closed) return;
    this.changeScheduled = true;
    queueMicrotask(() => {
      this.changeScheduled = false;
      if (!this.closed) this.options.onChange();
    });
  }
}

function loadJoined(userId: string): Record<string, number> {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(joinedKey(userId)) ?? '{}');
    if (typeof value !== 'object' || value === null) return Object.create(null) as Record<string, number>;
    const joined = Object.create(null) as Record<string, number>;
    for (const [room, at] of Object.entries(value)) if (typeof at === 'number') joined[room] = at;
    return joined;
  } catch {
    return Object.create(null) as Record<string, number>;
  }
}

/** This user's messages still waiting in the outbox. */
const pendingIn = (state: ConversationState): number => state.messages.filter((m) => m.mine && m.queued && !m.deleted).length;
