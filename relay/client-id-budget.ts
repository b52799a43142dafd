// How many new Yjs client ids a connection and a user may introduce: every id ever seen costs every later transaction of the room.

/** The limits (RelayLimits.newClientIdsPerConnection, RelayLimits.newClientIdsPerUserPerHour). */
export interface ClientIdLimits {
  newClientIdsPerConnection: number;
  newClientIdsPerUserPerHour: number;
}

export interface ClientIdBudget {
  /**
   * Takes `count` new client ids for `connection` (any object identifying it) of `user`; false (and nothing
   * taken) when that would exceed either limit.
   */
  take(connection: object, user: string, count: number): boolean;
}

const HOUR_MS = 3_600_000;
/** Users tracked before idle ones (bucket full again) are forgotten. */
const SWEEP_AT = 10_000;

/**
 * A relay-wide budget. Yjs keeps every client id a room has seen forever, and each transaction walks the
 * room's state vector (measured: an empty transaction costs 0.25 ms with 2,000 ids, 5 ms with 10,000), so
 * ids are rationed: a page needs one per session (a reload makes a new one), a connection bringing an
 * offline backlog a few more. Per user it is a token bucket refilled evenly over the hour.
 */
export function createClientIdBudget(limits: ClientIdLimits, now: () => number = () => performance.now()): ClientIdBudget {
  const perConnection = new WeakMap<object, number>();
  const perUser = new Map<string, { tokens: number; at: number }>();
  const rate = limits.newClientIdsPerUserPerHour / HOUR_MS;

  const bucketOf = (user: string, time: number) => {
    const bucket = perUser.get(user);
    if (!bucket) return { tokens: limits.newClientIdsPerUserPerHour, at: time };
    return { tokens: Math.min(limits.newClientIdsPerUserPerHour, bucket.tokens + (time - bucket.at) * rate), at: time };
  };

  const sweep = (time: number) => {
    for (const [user, bucket] of perUser) {
      if (bucket.tokens + (time - bucket.at) * rate >= limits.newClientIdsPerUserPerHour) perUser.delete(user);
    }
  };

  return {
    take(connection, user, count) {
      const used = perConnection.get(connection) ?? 0;
      if (used + count > limits.newClientIdsPerConnection) return false;
      const time = now();
      const bucket = bucketOf(user, time);
      if (bucket.tokens < count) return false;
      bucket.tokens -= count;
      if (perUser.size >= SWEEP_AT) sweep(time);
      perUser.set(user, bucket);
      perConnection.set(connection, used + count);
      return true;
    },
  };
}
