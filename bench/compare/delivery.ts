// Measures delivery latency: the writer notes when each message id is sent, receivers note when they applied it.
import type * as Y from 'yjs';
import type { MessageRecord } from '../../shared/conversation.js';

/**
 * One tracker per measured batch. Times come from one clock (performance.now in this process), so a
 * latency is exactly "writer handed the update to its socket" → "receiver's document applied it".
 */
export class DeliveryTracker {
  private readonly sentAt = new Map<string, number>();
  readonly latencies: number[] = [];
  private readonly unwatch: Array<() => void> = [];

  markSent(id: string, at: number): void {
    this.sentAt.set(id, at);
  }

  /** Counts messages applied by `doc` (observer on the `messages` array, called after the update is applied). */
  watch(doc: Y.Doc): void {
    const messages = doc.getArray<MessageRecord>('messages');
    const observer = (event: Y.YArrayEvent<MessageRecord>) => {
      const now = performance.now();
      for (const change of event.changes.delta) {
        if (!Array.isArray(change.insert)) continue;
        for (const record of change.insert as MessageRecord[]) {
          const sent = this.sentAt.get(record.id);
          if (sent !== undefined) this.latencies.push(now - sent);
        }
      }
    };
    messages.observe(observer);
    this.unwatch.push(() => messages.unobserve(observer));
  }

  get sent(): number {
    return this.sentAt.size;
  }

  stop(): void {
    for (const off of this.unwatch.splice(0)) off();
  }
}
