// Keeps one room's inbox entry (unread count, last message, title) current, debounced, for the inbox view.
import type * as Y from 'yjs';
import { getMeta, getProfiles } from '../../shared/conversation.js';
import { notifyInbox } from '../inbox.js';
import type { InboxEntry, LocalStore } from '../local-store.js';
import type { MessageView } from './types.js';

const INBOX_DEBOUNCE_MS = 250;

export class InboxSummary {
  private readonly openedAt = Date.now();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastJson = '';
  private readonly room: string;
  private readonly doc: Y.Doc;
  private readonly store: LocalStore;
  private readonly read: () => { messages: readonly MessageView[]; unread: number; unreadMentions?: number };

  constructor(room: string, doc: Y.Doc, store: LocalStore, read: () => { messages: readonly MessageView[]; unread: number; unreadMentions?: number }) {
    this.room = room;
    this.doc = doc;
    this.store = store;
    this.read = read;
  }

  /** Writes the entry soon (at most once per 250 ms). */
  schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, INBOX_DEBOUNCE_MS);
  }

  /** Writes a scheduled entry now (on close). */
  async flush(): Promise<void> {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.write();
  }

  private async write(): Promise<void> {
    const { messages, unread, unreadMentions } = this.read();
    const last = messages.at(-1);
    const profiles = getProfiles(this.doc);
    const title = getMeta(this.doc).title;
    const summary = {
      room: this.room,
      unread,
      ...(unreadMentions ? { mentions: unreadMentions } : {}),
      ...(title ? { title } : {}),
      ...(last
        ? {
            lastMessage: {
              id: last.id,
              author: last.author,
              ...(profiles.get(last.author)?.name ? { authorName: profiles.get(last.author)!.name } : {}),
              text: last.deleted ? '' : last.text.slice(0, 200),
              createdAt: last.createdAt,
              ...(last.deleted ? { deleted: true } : {}),
            },
          }
        : {}),
    };
    const json = JSON.stringify(summary);
    if (json === this.lastJson) return;
    this.lastJson = json;
    const entry: InboxEntry = { ...summary, openedAt: this.openedAt, updatedAt: Date.now() };
    await this.store.putInbox(entry);
    notifyInbox(this.store.userId);
  }
}
