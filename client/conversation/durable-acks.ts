// Where durable acks are tracked: the state vector of this replica's writes the relay has stored on disk, shared by the user's tabs.
import * as Y from 'yjs';
import { openChannel } from '../channel.js';

/**
 * The relay's durable state vector as far as this replica knows it. It only grows: acks arrive per socket and
 * out of date ones (an older socket's, another tab's stored copy) must never move a message back to `sending`.
 * A struct (client, clock) is durable once `clock < vector.get(client)`.
 *
 * The relay acks a socket only for what that socket wrote (and announces what it holds when a document is
 * attached). The user's tabs share their writes over BroadcastChannel, so a message one tab wrote or flushed
 * from the shared outbox is in every tab's document, yet only the writing tab's socket hears that it is durable.
 * The vector is the room's, not the socket's: each tab posts what its relay acks on a channel scoped to the
 * user and room, and the others merge it (`share`), so the message turns `sent` in every tab.
 */
export class DurableAcks {
  readonly vector = new Map<number, number>();
  private channel: { post(message: Uint8Array): void; close(): void } | undefined;

  /**
   * Hears and tells the user's other tabs of this room's acks on `channelName`; `moved` runs when another tab's
   * vector moved this one. Returns a function that stops sharing.
   */
  share(channelName: string, moved: () => void): () => void {
    this.channel?.close();
    const channel = openChannel<unknown>(channelName, (message) => {
      if (!(message instanceof Uint8Array)) return;
      let stateVector: Map<number, number>;
      try {
        stateVector = Y.decodeStateVector(message);
      } catch {
        return; // not a state vector: ignore it rather than lose the known acks
      }
      if (this.merge(stateVector)) moved();
    });
    this.channel = channel;
    return () => {
      channel.close();
      if (this.channel === channel) this.channel = undefined;
    };
  }

  /** Takes the per-client maximum of what is known and `stateVector`; returns whether anything moved. */
  merge(stateVector: ReadonlyMap<number, number>): boolean {
    let moved = false;
    for (const [client, clock] of stateVector) {
      if ((this.vector.get(client) ?? 0) < clock) {
        this.vector.set(client, clock);
        moved = true;
      }
    }
    return moved;
  }

  /** Merges a vector this replica's relay sent (an ack, or its state on attach) and tells the other tabs if it moved. */
  mergeFromRelay(stateVector: ReadonlyMap<number, number>): boolean {
    if (!this.merge(stateVector)) return false;
    this.channel?.post(this.encode());
    return true;
  }

  /** Whether the struct written by `client` at `clock` is durable on the relay. */
  covers(client: number, clock: number): boolean {
    return (this.vector.get(client) ?? 0) > clock;
  }

  /** The vector in Yjs' state-vector encoding, as stored in the client database. */
  encode(): Uint8Array {
    return Y.encodeStateVector(this.vector);
  }

  /** Merges a vector stored by `encode` (this or another tab's); returns whether anything moved. */
  mergeEncoded(encoded: Uint8Array): boolean {
    return this.merge(Y.decodeStateVector(encoded));
  }
}
