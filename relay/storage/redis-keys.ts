// Redis key and channel names for a room: derived only from validated room names, never from raw input.
import { isValidRoomName } from '../../shared/protocol.js';
import { base32 } from '../room-paths.js';

/** The part of every key that names a room (base32 of its name, so no separator or pattern character appears). */
const roomPart = (room: string): string => {
  if (!isValidRoomName(room)) throw new Error('invalid room name');
  return base32(Buffer.from(room, 'latin1'));
};

/** Keys and channels under one prefix (default `parley:`), so several deployments can share a Redis. */
export const redisKeys = (prefix: string) => ({
  /** The room's Redis Stream (its log). */
  log: (room: string) => `${prefix}log:${roomPart(room)}`,
  /** The room's trims, a hash: `through` = the last entry any trim removed, `gen` = how many trims removed something. */
  trims: (room: string) => `${prefix}trims:${roomPart(room)}`,
  /** The room's compaction lease. */
  lease: (room: string) => `${prefix}lease:${roomPart(room)}`,
  /** The room's pub/sub channel (awareness and control messages). */
  channel: (room: string) => `${prefix}bus:${roomPart(room)}`,
  /** The channel every instance's heartbeat goes to. */
  heartbeats: `${prefix}heartbeats`,
});

export type RedisKeys = ReturnType<typeof redisKeys>;
