// Bytes used per room and per user (stored blobs plus uploads in progress), kept in memory and rebuilt from the store at start.

/** Usage counters; every `charge` is matched by one `refund` of the same bytes. */
export interface BlobQuota {
  charge(room: string, user: string, bytes: number): void;
  refund(room: string, user: string, bytes: number): void;
  room(room: string): number;
  user(user: string): number;
  /** Bytes of every room together (stored and reserved). */
  total(): number;
}

export const createBlobQuota = (): BlobQuota => {
  const rooms = new Map<string, number>();
  const users = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, bytes: number) => {
    const next = (map.get(key) ?? 0) + bytes;
    if (next <= 0) map.delete(key);
    else map.set(key, next);
  };
  return {
    charge(room, user, bytes) {
      add(rooms, room, bytes);
      add(users, user, bytes);
    },
    refund(room, user, bytes) {
      add(rooms, room, -bytes);
      add(users, user, -bytes);
    },
    room: (room) => rooms.get(room) ?? 0,
    total: () => {
      let sum = 0;
      for (const bytes of rooms.values()) sum += bytes;
      return sum;
    },
    user: (user) => users.get(user) ?? 0,
  };
};
