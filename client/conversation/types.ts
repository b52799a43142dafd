// The public shapes of a conversation: options, state, message views and the handle `openConversation` returns.
import type * as Y from 'yjs';
import type {
  Attachment, Message, MessageState, PinnedMessage, ProfileEntry, RoomKind, ThreadSummary,
} from '../../shared/conversation.js';
import type { Role } from '../../shared/protocol.js';
import type { BackoffOptions } from '../backoff.js';
import type { ConnectionState, ConnectionStats, GetToken } from '../connection/connection-state.js';
import type { StorageState } from '../local-store.js';
import type { Presence, PresenceEntry, PresenceOptions } from '../presence.js';

export interface ConversationUser {
  /** Must equal the `sub` of the tokens `getToken` returns (the relay checks awareness against it). */
  id: string;
  name: string;
}

export interface OpenConversationOptions {
  /**
   * Base URL of the relay: `ws(s)://host:port` or `http(s)://host:port` (the endpoint path is added). Several
   * relays of one cluster may be given as a list: the client uses the first and moves to the next whenever a
   * connection is lost (docs/cluster.md).
   */
  relayUrl: string | readonly string[];
  /** Room name: 1–128 characters of `[A-Za-z0-9._~-]`. */
  room: string;
  user: ConversationUser;
  /**
   * Returns a relay token (JWT) for the room; called before connecting, ahead of expiry and after a 4401.
   * Throw `TokenRefusedError` when the identity provider refuses (→ `auth-expired`); any other error is taken
   * as a network failure (→ `offline`).
   */
  getToken: GetToken;
  /** Reconnect schedule (default: 500 ms doubling to 2 s, half of each step random). */
  backoff?: BackoffOptions;
  presence?: PresenceOptions;
  /** How long to wait for IndexedDB before carrying on in memory (default 5 s). */
  storageTimeoutMs?: number;
  /**
   * `mux`: the relay's multiplexed endpoint (`/sync`): conversations that share a `getToken` function share one
   * socket per page, the token travels in the first frame and is refreshed in band. `room`: one socket per
   * conversation on the per-room endpoint (`/rooms/:room?token=…`, what stock y-websocket clients use).
   */
  transport?: 'mux' | 'room';
  /**
   * With `mux`: `page` (default) — one socket per page and `getToken` function; `browser` — one socket for all of
   * the user's tabs: they elect a leader (Web Locks) that holds it and relays for the others over BroadcastChannel,
   * with hand-over when it closes. The leader tab's `getToken` then serves every tab: use it when all tabs' tokens
   * grant the same rooms (a session token, as the app's).
   */
  socketScope?: 'page' | 'browser';
}

/** `failed`: the relay refused the room (4403/4404) or the model refused the queued message; see `error`. */
export type MessageStatusName = MessageState | 'failed';

/** A message as the UI shows it. Status fields are set on one's own messages only. */
export interface MessageView extends Message {
  mine: boolean;
  status?: MessageStatusName;
  deliveredTo?: number;
  readBy?: number;
  recipients?: number;
  /** Why it failed, when `status` is `failed`. */
  error?: string;
  /** Composed while not synced and still in the local outbox: not in the shared document yet. */
  queued: boolean;
}

export interface ConversationState {
  room: string;
  userId: string;
  connection: ConnectionState;
  /** Worst of the document cache and the client database: `unavailable`/`failed` mean memory only. */
  storage: StorageState;
  /** The local cache has been read (or found unusable): `messages` now shows what this device knows. */
  loaded: boolean;
  /**
   * Not loaded yet, and `messages` are the latest ones as this device last showed them (its tail cache), shown
   * while the document loads; `loaded` then replaces them with the live view (same ids, same order at the end).
   */
  preview: boolean;
  /** The role the current token grants in the room (undefined until a token was seen). */
  role: Role | undefined;
  messages: readonly MessageView[];
  unread: number;
  /** Messages mentioning this user that they have not read (main flow and threads; shared/mention-queries.ts). */
  unreadMentions: number;
  /** Other users typing now (one entry per user). */
  typing: readonly PresenceEntry[];
  /** Everyone connected to the room, this user first (one entry per user, whatever their tab count). */
  presence: readonly PresenceEntry[];
  profiles: ReadonlyMap<string, ProfileEntry>;
  meta: { title: string; kind: RoomKind };
  /** Pinned messages, most recently pinned first (deleted ones leave). */
  pins: readonly PinnedMessage[];
  /** Threads with at least one reply, most recent reply first, with this user's unread count in each. */
  threads: readonly ThreadSummary[];
  /** Whether this user may pin and unpin here (admins; both people of a direct conversation). */
  canPin: boolean;
  closed: boolean;
}

export interface SendOptions {
  replyTo?: string;
  /** Reply in the thread under this (top-level) message. */
  threadRoot?: string;
  /** With `threadRoot`: also show the reply in the main flow. */
  alsoInMain?: boolean;
  attachments?: Attachment[];
  /**
   * User ids the message mentions (`@Name` in the text; the ids are the truth): members of the conversation,
   * distinct, at most LIMITS.mentions (shared/mentions.ts). Checked before the message is queued.
   */
  mentions?: readonly string[];
  /** The message id (default: a new one); the attachment sender picks it before storing the files. */
  id?: string;
  /** Queue the message until `filesStored` (its attachments are still uploading; client/attachments/). */
  awaitingFiles?: true;
}

/** The handle `openConversation` returns. Every write is checked by the shared model's rules first. */
export interface Conversation {
  readonly room: string;
  readonly user: ConversationUser;
  /** The live document (read-only use: write through the methods so rules and the outbox apply). */
  readonly doc: Y.Doc;
  /** Resolves once the cached history is in memory (or storage turned out unusable). */
  readonly loaded: Promise<void>;
  /** Traffic counters of the relay connection. */
  readonly stats: ConnectionStats;
  getState(): ConversationState;
  /** Calls `listener` (batched, at most once per microtask) after any change; returns the unsubscribe function. */
  subscribe(listener: (state: ConversationState) => void): () => void;
  /** Sends a message; while not synced it waits in the outbox and is appended at the end once synced. */
  send(text: string, options?: SendOptions): Promise<MessageView>;
  /** Sends a reply to message `replyTo`. */
  reply(replyTo: string, text: string, options?: Omit<SendOptions, 'replyTo'>): Promise<MessageView>;
  /** Sends a reply in the thread under `root` (`alsoInMain`: show it in the main flow too). */
  replyInThread(root: string, text: string, options?: Omit<SendOptions, 'threadRoot'>): Promise<MessageView>;
  /** Marks the thread under `root` read up to `upTo` (default: its latest reply). Returns whether the mark moved. */
  markThreadRead(root: string, upTo?: string): boolean;
  /** Pins a message (admins; both people of a direct conversation). */
  pin(id: string): void;
  unpin(id: string): void;
  /** Edits one's own message; `mentions` replaces its mentions (empty: none), left out they stay. */
  edit(id: string, text: string, options?: { mentions?: readonly string[] }): Promise<void>;
  /** Deletes (tombstones) a message; a queued one just leaves the outbox. */
  delete(id: string): Promise<void>;
  react(id: string, emoji: string): void;
  unreact(id: string, emoji: string): void;
  /**
   * Marks messages up to `upTo` (default: the latest) as read, as displayed to the user. While the page is
   * hidden the mark waits until it is visible again. Returns whether a receipt was written now.
   */
  markRead(upTo?: string): boolean;
  setProfile(profile: { name?: string; avatar?: string }): void;
  setMeta(meta: { title?: string; kind?: RoomKind }): void;
  /** Call with `true` on each keystroke and `false` on blur (sending clears it too). */
  setTyping(active: boolean): void;
  /** `busy`/`away` stick until changed; `online` returns to automatic presence. `status` is a custom text. */
  setPresence(presence: Presence, status?: string): void;
  /** Retries the connection now (after `auth-expired` or while offline). */
  reconnect(): void;
  /** A queued message's files are stored on the relay: it gets their final records and may now be written. */
  filesStored(id: string, attachments: Attachment[]): Promise<void>;
  /** A queued message's files were refused: it shows as failed with `reason` (its files stay for Retry). */
  filesRefused(id: string, reason: string): Promise<void>;
  /** Disconnects and releases everything; the local data stays (see `logout` to wipe it). */
  close(): Promise<void>;
}
