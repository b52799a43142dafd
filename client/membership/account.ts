// The user's account document on this device: their conversation list (from IndexedDB first, then live from the relay) and preferences.
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import {
  ACCOUNT_ALIAS, CONVERSATIONS, PREFERENCES, SETTINGS, listConversations, readSettings, setPreferences as writePreferences,
  setSetting as writeSetting, type AccountSettings, type ConversationListItem, type ConversationPreferences,
} from '../../shared/account.js';
import type { BackoffOptions } from '../backoff.js';
import type { ConnectionState, GetToken, SyncConnection } from '../connection/connection-state.js';
import { MuxConnection } from '../connection/mux-connection.js';
import { RoomConnection } from '../connection/room-connection.js';
import { persistDoc, type DocStore } from '../doc-store.js';
import { userDbPrefix } from '../idb.js';

export interface OpenAccountOptions {
  relayUrl: string;
  /** The signed-in user (the `sub` of the tokens `getToken` returns). */
  user: { id: string };
  /** Returns a relay token; called with room `~account`. Any valid token of the user opens their account document. */
  getToken: GetToken;
  backoff?: BackoffOptions;
  storageTimeoutMs?: number;
  /** `mux` (default): the relay's `/sync`, sharing the socket of conversations with the same `getToken`; `room`: `/rooms/~account`. */
  transport?: 'mux' | 'room';
  /** `'browser'`: share one socket among the user's tabs (see `OpenConversationOptions.socketScope`). */
  socketScope?: 'page' | 'browser';
}

export interface ListOptions {
  /** Include archived conversations (hidden by default). */
  includeArchived?: boolean;
}

/** The user's account document, cached in IndexedDB and synced through the relay as `~account`. */
export interface Account {
  readonly doc: Y.Doc;
  /** Resolves once the cached copy is in memory (or storage turned out unusable). */
  readonly loaded: Promise<void>;
  connectionState(): ConnectionState;
  /** The conversation list now: pinned first, then most recently joined; archived ones only when asked. */
  conversations(options?: ListOptions): ConversationListItem[];
  /**
   * Calls `listener` with the list once the cache is read (`source: 'cache'`), then after every change
   * (`'live'`, e.g. another device pinned one, or the relay added a conversation). Returns the unsubscribe function.
   */
  watch(listener: (items: ConversationListItem[], info: { source: 'cache' | 'live'; synced: boolean }) => void, options?: ListOptions): () => void;
  /** Sets this user's preferences for one conversation (merged with what is there; synced to every device). */
  setPreferences(room: string, preferences: ConversationPreferences): ConversationPreferences;
  /** The user's global settings now (e.g. `hideMessageText`). */
  settings(): AccountSettings;
  /** Sets one global setting (checked by the shared rules; synced to every device, read by the relay's push). */
  setSetting<K extends keyof AccountSettings>(key: K, value: NonNullable<AccountSettings[K]>): void;
  /** Calls `listener` with the settings once the cache is read, then after every change. Returns the unsubscribe function. */
  watchSettings(listener: (settings: AccountSettings) => void): () => void;
  /** Disconnects; the cached copy stays. */
  close(): Promise<void>;
}

/** Opens the signed-in user's account document: cache first, then the relay. */
export function openAccount(options: OpenAccountOptions): Account {
  const doc = new Y.Doc();
  const awareness = new Awareness(doc);
  // The account document has no presence: nobody else is ever in it.
  awareness.setLocalState(null);
  const store: DocStore = persistDoc(doc, options.user.id, ACCOUNT_ALIAS, { timeoutMs: options.storageTimeoutMs ?? 5_000 });
  let connection: SyncConnection | undefined;
  let closed = false;
  const loaded = store.whenLoaded.then(() => {
    if (closed) return;
    const common = {
      relayUrl: options.relayUrl,
      room: ACCOUNT_ALIAS,
      doc,
      awareness,
      getToken: options.getToken,
      userId: options.user.id,
      broadcastChannel: `${userDbPrefix(options.user.id)}:${ACCOUNT_ALIAS}`,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      onDurable: () => undefined,
      ...(options.socketScope ? { socketScope: options.socketScope } : {}),
    };
    connection = (options.transport ?? 'mux') === 'mux' ? new MuxConnection(common) : new RoomConnection(common);
  });
  return {
    doc,
    loaded,
    connectionState: () => connection?.state ?? { status: 'connecting', synced: false, attempt: 0 },
    conversations: (list = {}) => listConversations(doc, list),
    watch(listener, list = {}) {
      let stopped = false;
      let scheduled = false;
      const emit = (source: 'cache' | 'live') => listener(listConversations(doc, list), { source, synced: connection?.state.synced ?? false });
      const onChange = () => {
        if (scheduled || stopped) return;
        scheduled = true;
        queueMicrotask(() => {
          scheduled = false;
          if (!stopped) emit('live');
        });
      };
      let observing = false;
      void loaded.then(() => {
        if (stopped) return;
        doc.getMap(CONVERSATIONS).observe(onChange);
        doc.getMap(PREFERENCES).observe(onChange);
        observing = true;
        emit('cache');
      });
      return () => {
        stopped = true;
        if (!observing) return;
        observing = false;
        doc.getMap(CONVERSATIONS).unobserve(onChange);
        doc.getMap(PREFERENCES).unobserve(onChange);
      };
    },
    setPreferences: (room, preferences) => writePreferences(doc, room, preferences),
    settings: () => readSettings(doc),
    setSetting: (key, value) => writeSetting(doc, key, value),
    watchSettings(listener) {
      let stopped = false;
      let observing = false;
      const onChange = () => {
        if (!stopped) listener(readSettings(doc));
      };
      void loaded.then(() => {
        if (stopped) return;
        doc.getMap(SETTINGS).observe(onChange);
        observing = true;
        onChange();
      });
      return () => {
        stopped = true;
        if (observing) doc.getMap(SETTINGS).unobserve(onChange);
        observing = false;
      };
    },
    async close() {
      closed = true;
      connection?.close();
      awareness.destroy();
      await store.destroy();
    },
  };
}
