// Wire constants shared by relay and client: y-websocket message types, Parley's extensions and room names.

/**
 * The relay speaks the y-websocket protocol: every binary frame starts with a varUint message type.
 *  - 0 sync: a y-protocols sync message (step 1: state vector, step 2: missing updates, update).
 *  - 1 awareness: a y-protocols awareness update.
 *  - 3 query-awareness: asks the other side to send all awareness states.
 * Parley adds one type, sent only to clients that connected with `acks=1`:
 *  - 100 durable-ack: varUint8Array(encoded state vector of what the relay has made durable on disk).
 *    A client's update is durable once the ack's state vector covers the update's structs.
 */
export const MessageType = {
  sync: 0,
  awareness: 1,
  auth: 2,
  queryAwareness: 3,
  durableAck: 100,
} as const;

/** Room names live with the other identifier formats (ids.ts); re-exported for existing importers. */
export { ROOM_NAME, isValidRoomName } from './ids.js';

/** Roles a token can grant on a room, weakest first. */
export const ROLES = ['read', 'write', 'admin'] as const;
export type Role = (typeof ROLES)[number];
