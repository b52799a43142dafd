// The relay's write path for one incoming update, top to bottom: decode once → check → bind identity → apply → persist → broadcast → ack.
import * as Y from 'yjs';
import type { Role } from '../shared/protocol.js';
import { bindClients } from './client-identity.js';
import { MalformedFrameError } from './protocol-messages.js';
import type { Room, RoomPeer } from './room.js';
import { RELAY_ORIGIN, connectionOrigin } from './transaction-origin.js';
import { isEmptyDecoded, type DecodedUpdate } from './update-structure.js';
import { WriteRefusedError, type CheckUpdate, type WriteUser } from './write-check.js';
import { CloseCode } from '../shared/close-codes.js';
import { RULE_MESSAGES } from '../shared/errors.js';

/** Who sent the update: the room's peer and what its token proves. */
export interface UpdateSender {
  peer: RoomPeer;
  user: WriteUser;
  /** The token's grant on the room (undefined: let in by the roster). */
  role: Role | undefined;
}

/** How an update fared: accepted (`empty` when it carried nothing to check or store), or refused with what the check threw. */
export type AcceptOutcome = { accepted: true; empty: boolean } | { accepted: false; error: unknown };

/**
 * Takes one update (a sync step 2 or update message) from `sender` into `room`:
 *  1. decode it once (`Y.decodeUpdate`); every later step reads that;
 *  2. check it (`check`, the write-check seam; the conversation guard by default): a refusal leaves the room untouched;
 *  3. bind the client ids it writes with for the first time to the sender (a relay write, stored before the update);
 *  4. apply it to the document;
 *  5. persist what it changed (append to the room's log, publish to other instances);
 *  6. broadcast that to the room's peers (merged per loop turn);
 *  7. acknowledge it: the sender's durable ack waits for everything appended so far.
 * Throws MalformedFrameError when the update does not decode or Yjs cannot apply it.
 */
export function acceptUpdate(room: Room, sender: UpdateSender, update: Uint8Array, check: CheckUpdate): AcceptOutcome {
  const { peer, user, role } = sender;

  // 1. Decode once.
  let decoded: DecodedUpdate;
  try {
    decoded = Y.decodeUpdate(update);
  } catch (error) {
    throw new MalformedFrameError(`undecodable update: ${(error as Error).message}`);
  }
  if (isEmptyDecoded(decoded)) {
    // e.g. an up-to-date client's (or a reader's) empty sync step 2: nothing to check or store, but acked.
    room.acknowledge(peer);
    return { accepted: true, empty: true };
  }

  // Cluster mode: the shared log orders every instance's writes. The update goes there as it is and takes
  // steps 2–7 when read back, in log order, on every instance alike (Room.applyEntry, storage/room-replica.ts).
  // It is not checked here first: against this instance's copy, which may lag the log, a check could refuse
  // what the log order accepts (a reply to a message still in flight), and the instances would disagree.
  if (room.replica) {
    room.submit(sender, update);
    return { accepted: true, empty: false };
  }

  // 2. Check (must not write).
  let newClients: ReadonlySet<number> | undefined;
  try {
    newClients = check({ room: room.name, doc: room.doc, update, decoded, user, role })?.newClients;
  } catch (error) {
    return { accepted: false, error };
  }

  // 3. Bind identity: first-seen client ids become the sender's, durable no later than the writes they cover.
  // Every id a room has seen costs each of its later transactions, so new ids come out of a budget.
  if (newClients !== undefined && newClients.size > 0) {
    if (!room.takeClientIds(peer, newClients.size)) {
      return { accepted: false, error: new WriteRefusedError('too-many-client-ids', RULE_MESSAGES['too-many-client-ids'], CloseCode.rateLimited) };
    }
    const binding = room.apply(RELAY_ORIGIN, (doc) => bindClients(doc, newClients, user.id));
    room.persist(binding, RELAY_ORIGIN);
    room.broadcast(binding, RELAY_ORIGIN);
  }

  // 4. Apply.
  const origin = connectionOrigin(peer);
  let changes: Uint8Array[];
  try {
    changes = room.apply(origin, (doc) => Y.applyUpdate(doc, update, origin));
  } catch (error) {
    // Yjs rejected an update that decoded: treat as malformed, the room keeps what it had.
    throw new MalformedFrameError(`update could not be applied: ${(error as Error).message}`);
  }

  // 5. Persist. 6. Broadcast.
  room.persist(changes, origin);
  room.broadcast(changes, origin);

  // 7. Ack (every write is acknowledged, even one that changed nothing new).
  room.acknowledge(peer);
  return { accepted: true, empty: false };
}
