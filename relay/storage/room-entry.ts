// The cluster room log's entry format: an update with who wrote it (so every instance can check it in log order), a blob announcement, or a tombstone.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { ROLES, type Role } from '../../shared/protocol.js';

/*
 * entry     := update | tombstone | blob | blob-gone
 * update    := varUint(0) • varString(instance) • varUint(seq) • varString(userId) • varString(userName)
 *              • varString(role) • varUint8Array(yjsUpdate)
 * tombstone := varUint(1) • varString(instance)
 * blob      := varUint(2) • varString(instance) • varString(id) • varUint(size) • varString(type)
 * blob-gone := varUint(3) • varString(instance) • varString(id)
 *
 * `instance` and `seq` let the instance that appended an update recognise it when it comes back in log
 * order (to ack or refuse its sender); the user and role let every instance run the write guard on it
 * exactly as the receiving instance would. `blob` says an upload stored a blob for the room (in PostgreSQL,
 * before the entry was appended) and `blob-gone` that the collector removed one: every instance keeps the
 * room's blob index from these, in log order, so the guard's "is this blob stored for this room" has the same
 * answer on every instance for every update (room-blob-index.ts). A tombstone records a room deletion in the log itself, so no
 * instance can miss it, and a load that meets one starts the room afresh from there.
 */

export type RoomEntry =
  | { kind: 'update'; instance: string; seq: number; userId: string; userName: string; role: Role | undefined; update: Uint8Array }
  | { kind: 'tombstone'; instance: string }
  | { kind: 'blob'; instance: string; id: string; size: number; type: string }
  | { kind: 'blob-gone'; instance: string; id: string };

const UPDATE = 0;
const TOMBSTONE = 1;
const BLOB = 2;
const BLOB_GONE = 3;

/** Stored data a relay did not write (or a newer format): skipped with a warning, never applied. */
export class BadEntryError extends Error {
  override name = 'BadEntryError';
}

/** Encodes an entry for the room log. */
export const encodeRoomEntry = (entry: RoomEntry): Uint8Array => {
  const e = encoding.createEncoder();
  if (entry.kind === 'update') {
    encoding.writeVarUint(e, UPDATE);
    encoding.writeVarString(e, entry.instance);
    encoding.writeVarUint(e, entry.seq);
    encoding.writeVarString(e, entry.userId);
    encoding.writeVarString(e, entry.userName);
    // '' = no token grant: the writer was let in by the room's roster (the guard reads it from the document).
    encoding.writeVarString(e, entry.role ?? '');
    encoding.writeVarUint8Array(e, entry.update);
  } else if (entry.kind === 'tombstone') {
    encoding.writeVarUint(e, TOMBSTONE);
    encoding.writeVarString(e, entry.instance);
  } else if (entry.kind === 'blob') {
    encoding.writeVarUint(e, BLOB);
    encoding.writeVarString(e, entry.instance);
    encoding.writeVarString(e, entry.id);
    encoding.writeVarUint(e, entry.size);
    encoding.writeVarString(e, entry.type);
  } else {
    encoding.writeVarUint(e, BLOB_GONE);
    encoding.writeVarString(e, entry.instance);
    encoding.writeVarString(e, entry.id);
  }
  return encoding.toUint8Array(e);
};

/** Decodes an entry; throws BadEntryError for anything else. */
export const decodeRoomEntry = (data: Uint8Array): RoomEntry => {
  try {
    const d = decoding.createDecoder(data);
    const kind = decoding.readVarUint(d);
    let entry: RoomEntry;
    if (kind === UPDATE) {
      const instance = decoding.readVarString(d);
      const seq = decoding.readVarUint(d);
      const userId = decoding.readVarString(d);
      const userName = decoding.readVarString(d);
      const role = decoding.readVarString(d);
      if (role !== '' && !(ROLES as readonly string[]).includes(role)) throw new BadEntryError(`unknown role ${role}`);
      const update = decoding.readVarUint8Array(d);
      entry = { kind: 'update', instance, seq, userId, userName, role: role === '' ? undefined : (role as Role), update };
    } else if (kind === TOMBSTONE) {
      entry = { kind: 'tombstone', instance: decoding.readVarString(d) };
    } else if (kind === BLOB) {
      entry = { kind: 'blob', instance: decoding.readVarString(d), id: decoding.readVarString(d), size: decoding.readVarUint(d), type: decoding.readVarString(d) };
    } else if (kind === BLOB_GONE) {
      entry = { kind: 'blob-gone', instance: decoding.readVarString(d), id: decoding.readVarString(d) };
    } else {
      throw new BadEntryError(`unknown entry kind ${kind}`);
    }
    if (decoding.hasContent(d)) throw new BadEntryError('trailing bytes');
    return entry;
  } catch (error) {
    if (error instanceof BadEntryError) throw error;
    throw new BadEntryError(`undecodable entry: ${(error as Error).message}`);
  }
};
