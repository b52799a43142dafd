// Tells which messages from others are new since the last look, so UIs announce and notify only real arrivals.
import type { ConversationState, MessageView } from '../../index.js';

/**
 * Everything present at the first sync with the relay counts as history (the device cache, then what the
 * relay held): only messages appearing after it are new. A conversation that never synced reports nothing.
 */
export class NewMessageTracker {
  private seen: Set<string> | undefined;
  private lastMessages: readonly MessageView[] | undefined;

  /** The messages by others (not deleted) that appeared since the previous call. */
  update(state: ConversationState): MessageView[] {
    if (state.messages === this.lastMessages) return [];
    if (!this.seen) {
      if (!state.loaded || !state.connection.synced) return [];
      this.seen = new Set(state.messages.map((m) => m.id));
      this.lastMessages = state.messages;
      return [];
    }
    this.lastMessages = state.messages;
    const fresh: MessageView[] = [];
    for (const message of state.messages) {
      if (this.seen.has(message.id)) continue;
      this.seen.add(message.id);
      if (!message.mine && !message.deleted) fresh.push(message);
    }
    return fresh;
  }
}
