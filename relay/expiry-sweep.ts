// One timer for every connection's token expiry, armed for the earliest one, instead of a timer per connection.

/** Something that must end at `expiresAt`. */
export interface Expiring {
  /** Ms since the epoch. */
  readonly expiresAt: number;
  /** Ends it; called once its expiry has passed. */
  expire(): void;
}

/** The longest a timer may wait (setTimeout's limit); later expiries re-arm. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Expires the members of a collection the caller already keeps (`members` is read on every sweep). A
 * sweep walks every member, so it runs only when one is due: JWT expiries are whole seconds, so at most
 * once a second however many connections there are.
 */
export class ExpirySweep {
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (ms since the epoch); Infinity when none is armed. */
  private armedFor = Infinity;
  private stopped = false;

  constructor(private readonly members: () => Iterable<Expiring>) {}

  /** Takes a new member into account; it must already be in `members`. */
  add(expiresAt: number): void {
    if (expiresAt < this.armedFor) this.arm(expiresAt);
  }

  /** Disarms for good (shutdown). */
  stop(): void {
    this.stopped = true;
    this.arm(Infinity);
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = at;
    if (at === Infinity || this.stopped) return;
    this.timer = setTimeout(this.sweep, Math.min(Math.max(at - Date.now(), 0), MAX_TIMER_MS));
    // Open sockets keep the process alive, not their expiry.
    this.timer.unref();
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const member of this.members()) {
      if (member.expiresAt <= now) member.expire();
      else if (member.expiresAt < next) next = member.expiresAt;
    }
    // A member added during the walk may have armed an earlier timer already.
    if (next < this.armedFor) this.arm(next);
  };
}
