// Where receipts are written: "delivered" when others' messages reach this replica, "read" when the UI shows them.
import type * as Y from 'yjs';
import { markDelivered, markRead, readMessageLog, RuleError, type Writer } from '../../shared/conversation.js';
import type { Role } from '../../shared/protocol.js';

/**
 * Receipts of one user in one conversation. Never for one's own messages, never by a read-only member; a read
 * mark asked for while the page is hidden waits until it is visible again.
 */
export class Receipts {
  private readonly doc: Y.Doc;
  private readonly userId: string;
  private readonly writer: () => Writer;
  private readonly role: () => Role | undefined;
  private deliveredUpTo: string | undefined;
  private pendingRead: { upTo: string | undefined } | undefined;

  constructor(doc: Y.Doc, userId: string, writer: () => Writer, role: () => Role | undefined) {
    this.doc = doc;
    this.userId = userId;
    this.writer = writer;
    this.role = role;
  }

  /** Moves the delivered mark to `lastOther`, the latest message by someone else this replica holds. */
  deliver(lastOther: string | undefined): void {
    if (lastOther === undefined || lastOther === this.deliveredUpTo || this.role() === 'read') return;
    this.deliveredUpTo = lastOther;
    try {
      markDelivered(this.doc, this.writer(), lastOther);
    } catch (error) {
      if (!(error instanceof RuleError)) throw error;
    }
  }

  /** See `Conversation.markRead`. Throws `RuleError('unknown-message')` for an unknown `upTo`. */
  markRead(upTo?: string): boolean {
    if (typeof document !== 'undefined' && document.visibilityState === 'hidden') {
      this.pendingRead = { upTo };
      return false;
    }
    const log = readMessageLog(this.doc);
    let index = upTo === undefined ? log.list.length - 1 : (log.byId.get(upTo)?.position ?? -1);
    if (upTo !== undefined && index < 0) throw new RuleError('unknown-message', upTo);
    // Read up to the last message by someone else.
    while (index >= 0 && log.list[index]!.current.record.author === this.userId) index--;
    if (index < 0) return false;
    try {
      return markRead(this.doc, this.writer(), log.list[index]!.current.record.id);
    } catch (error) {
      if (error instanceof RuleError && error.code === 'read-only') return false;
      throw error;
    }
  }

  /** The page became visible: writes a read mark that was waiting for it. */
  onVisible(): void {
    if (!this.pendingRead) return;
    const { upTo } = this.pendingRead;
    this.pendingRead = undefined;
    this.markRead(upTo);
  }
}
