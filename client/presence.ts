// Typing and presence over Yjs awareness: publishes this tab's state, reads everyone's, one entry per user.
import type { Awareness } from 'y-protocols/awareness';

export type Presence = 'online' | 'away' | 'busy';

/** The awareness state every Parley client publishes (the relay checks `user.id` against the token's `sub`). */
export interface AwarenessUserState {
  user: { id: string; name: string };
  /** Set (to the sender's clock, for display only) while typing; receivers expire it on their own clock. */
  typing?: number;
  presence: Presence;
  status?: string;
}

export interface PresenceEntry {
  id: string;
  name: string;
  presence: Presence;
  status?: string;
  typing: boolean;
  /** This user (any of their tabs or devices). */
  self: boolean;
}

export interface PresenceOptions {
  /** A typing state is cleared after this much time without `setTyping(true)`. */
  typingIdleMs?: number;
  /** `setTyping(true)` publishes at most this often. */
  typingThrottleMs?: number;
  /** Receivers drop a typing state not refreshed for this long (covers a lost clear: crashed tab, lost socket). */
  typingExpireMs?: number;
  /** No input for this long makes an `online` user `away`. */
  idleMs?: number;
}

const RANK: Record<Presence, number> = { away: 0, online: 1, busy: 2 };

/**
 * Publishes and reads awareness. Automatic presence is `online` while the page is visible and the user active,
 * else `away`; `setPresence('busy')` or a custom status are the user's choice and stick until changed.
 */
export class PresenceTracker {
  typing: PresenceEntry[] = [];
  presence: PresenceEntry[] = [];
  private readonly awareness: Awareness;
  private readonly user: { id: string; name: string };
  private readonly opts: Required<PresenceOptions>;
  private readonly listeners = new Set<() => void>();
  private chosen: Presence | undefined;
  /** The presence last put in the awareness state. */
  private published: Presence | undefined;
  private status: string | undefined;
  private typingSince = 0;
  private typingPublishedAt = 0;
  private typingIdleTimer: ReturnType<typeof setTimeout> | undefined;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setInterval> | undefined;
  private lastInput = Date.now();
  /** Local receive time of each remote client's latest typing value. */
  private readonly typingSeen = new Map<number, { value: number; at: number }>();
  private readonly cleanup: (() => void)[] = [];

  constructor(awareness: Awareness, user: { id: string; name: string }, options: PresenceOptions = {}) {
    this.awareness = awareness;
    this.user = { ...user };
    this.opts = { typingIdleMs: 3_000, typingThrottleMs: 1_000, typingExpireMs: 5_000, idleMs: 5 * 60_000, ...options };
    this.publish();
    const onChange = (): void => this.read();
    awareness.on('change', onChange);
    this.cleanup.push(() => awareness.off('change', onChange));
    if (typeof document !== 'undefined') {
      const onVisibility = (): void => {
        if (document.visibilityState === 'visible') this.lastInput = Date.now();
        this.publish();
      };
      const onInput = (): void => {
        const wasIdle = this.isIdle();
        this.lastInput = Date.now();
        if (wasIdle) this.publish();
      };
      document.addEventListener('visibilitychange', onVisibility);
      for (const type of ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const) window.addEventListener(type, onInput, { passive: true });
      this.cleanup.push(() => {
        document.removeEventListener('visibilitychange', onVisibility);
        for (const type of ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const) window.removeEventListener(type, onInput);
      });
      this.idleTimer = setInterval(() => {
        if (this.localPresence() !== this.published) this.publish();
      }, Math.min(30_000, this.opts.idleMs));
    }
    this.read();
  }

  /** Calls `listener` when typing users or presence change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Call on each keystroke (`true`), and with `false` on blur; sending a message clears it too. */
  setTyping(active: boolean): void {
    clearTimeout(this.typingIdleTimer);
    const now = Date.now();
    if (!active) {
      if (this.typingSince) {
        this.typingSince = 0;
        this.publish();
      }
      return;
    }
    if (!this.typingSince || now - this.typingPublishedAt >= this.opts.typingThrottleMs) {
      this.typingSince = now;
      this.typingPublishedAt = now;
      this.publish();
    }
    this.typingIdleTimer = setTimeout(() => this.setTyping(false), this.opts.typingIdleMs);
  }

  /** `busy` or `away` stick until changed; `online` returns to automatic (away when hidden or idle). */
  setPresence(presence: Presence, status?: string): void {
    this.chosen = presence === 'online' ? undefined : presence;
    this.status = status?.trim() ? status.trim().slice(0, 140) : undefined;
    this.publish();
  }

  /** This tab's presence as published. */
  localPresence(): Presence {
    return this.chosen ?? this.autoPresence();
  }

  /** Whether the user is here: page visible and recent input (used to pace `lastSeen` writes). */
  isActive(): boolean {
    return this.autoPresence() === 'online';
  }

  destroy(): void {
    clearTimeout(this.typingIdleTimer);
    clearTimeout(this.expiryTimer);
    clearInterval(this.idleTimer);
    for (const fn of this.cleanup) fn();
    this.listeners.clear();
  }

  /**
   * The name published in presence and typing. The relay only forwards awareness whose `user.name` equals the
   * token's `name` claim (else its `sub`), so the connection sets it from every token it gets.
   */
  setName(name: string): void {
    if (name === this.user.name) return;
    this.user.name = name;
    this.publish();
  }

  private isIdle(): boolean {
    return Date.now() - this.lastInput > this.opts.idleMs;
  }

  private autoPresence(): Presence {
    if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return 'away';
    return this.isIdle() ? 'away' : 'online';
  }

  private publish(): void {
    const state: AwarenessUserState = {
      user: { id: this.user.id, name: this.user.name },
      presence: this.localPresence(),
      ...(this.typingSince ? { typing: this.typingSince } : {}),
      ...(this.status ? { status: this.status } : {}),
    };
    this.published = state.presence;
    this.awareness.setLocalState(state);
  }

  private read(): void {
    const now = Date.now();
    const users = new Map<string, PresenceEntry>();
    let nextExpiry = Infinity;
    const live = new Set<number>();
    for (const [clientId, raw] of this.awareness.getStates()) {
      const state = parseState(raw);
      if (!state) continue;
      live.add(clientId);
      const self = state.user.id === this.user.id;
      let typing = false;
      if (state.typing !== undefined && !self) {
        const seen = this.typingSeen.get(clientId);
        const at = seen && seen.value === state.typing ? seen.at : now;
        this.typingSeen.set(clientId, { value: state.typing, at });
        typing = now - at < this.opts.typingExpireMs;
        if (typing) nextExpiry = Math.min(nextExpiry, at + this.opts.typingExpireMs);
      } else {
        this.typingSeen.delete(clientId);
      }
      const prev = users.get(state.user.id);
      if (!prev) {
        users.set(state.user.id, {
          id: state.user.id,
          name: state.user.name,
          presence: state.presence,
          ...(state.status ? { status: state.status } : {}),
          typing,
          self,
        });
      } else {
        // Several tabs or devices of one user: the strongest presence wins; typing in any of them counts.
        if (RANK[state.presence] > RANK[prev.presence]) prev.presence = state.presence;
        if (state.status && !prev.status) prev.status = state.status;
        prev.typing ||= typing;
      }
    }
    for (const clientId of this.typingSeen.keys()) if (!live.has(clientId)) this.typingSeen.delete(clientId);
    const presence = [...users.values()].sort((a, b) => (a.self === b.self ? a.name.localeCompare(b.name) : a.self ? -1 : 1));
    const typing = presence.filter((u) => u.typing);
    const changed = JSON.stringify([presence, typing]) !== JSON.stringify([this.presence, this.typing]);
    this.presence = presence;
    this.typing = typing;
    clearTimeout(this.expiryTimer);
    if (nextExpiry !== Infinity) this.expiryTimer = setTimeout(() => this.read(), nextExpiry - now + 5);
    if (changed) for (const listener of this.listeners) listener();
  }
}

/** Accepts only well-formed states: anything can arrive over the wire. */
function parseState(raw: unknown): AwarenessUserState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { user, typing, presence, status } = raw as Record<string, unknown>;
  if (typeof user !== 'object' || user === null) return undefined;
  const { id, name } = user as Record<string, unknown>;
  if (typeof id !== 'string' || !id) return undefined;
  return {
    user: { id, name: typeof name === 'string' ? name : id },
    presence: presence === 'away' || presence === 'busy' ? presence : 'online',
    ...(typeof typing === 'number' && typing > 0 ? { typing } : {}),
    ...(typeof status === 'string' && status ? { status: status.slice(0, 140) } : {}),
  };
}
