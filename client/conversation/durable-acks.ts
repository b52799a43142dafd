// Where durable acks are tracked: the state vector of this replica's writes the relay has stored on disk.
import * as Y from 'yjs';

/**
 * The relay's durable state vector as far as this replica knows it. It only grows: acks arrive per socket and
 * out of date ones (an older socket's, another tab's stored copy) must never move a message back to `sending`.
 * A struct (client, clock) is durable once `clock < vector.get(client)`.
 */
export class DurableAcks {
  readonly vector = new Map<number, number>();

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
