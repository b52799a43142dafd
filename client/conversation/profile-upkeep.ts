// Keeps this user's member profile current: the display name on sync, `lastSeen` at most once a minute while active.
import type * as Y from 'yjs';
import { getProfiles, RuleError, setProfile, type Writer } from '../../shared/conversation.js';

const LAST_SEEN_EVERY_MS = 60_000;

export class ProfileUpkeep {
  private lastSeenWritten = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly doc: Y.Doc;
  private readonly user: { id: string; name: string };
  private readonly writer: () => Writer;
  /** Whether writing now makes sense: synced, not read-only, the user active. */
  private readonly canWrite: () => boolean;

  constructor(doc: Y.Doc, user: { id: string; name: string }, writer: () => Writer, canWrite: () => boolean) {
    this.doc = doc;
    this.user = user;
    this.writer = writer;
    this.canWrite = canWrite;
    this.timer = setInterval(() => this.touchLastSeen(), LAST_SEEN_EVERY_MS);
  }

  /** On sync: the profile carries the current name, and `lastSeen` moves. */
  onSynced(): void {
    const profile = getProfiles(this.doc).get(this.user.id);
    if (!profile || profile.name !== this.user.name) tryWrite(() => setProfile(this.doc, this.writer(), { name: this.user.name }));
    this.touchLastSeen();
  }

  /** Writes `lastSeen` while the user is here, at most once a minute (the profile's own value counts: reloads and tabs too). */
  touchLastSeen(): void {
    if (!this.canWrite()) return;
    const now = Date.now();
    const current = getProfiles(this.doc).get(this.user.id);
    if (now - Math.max(this.lastSeenWritten, current?.lastSeen ?? 0) < LAST_SEEN_EVERY_MS) return;
    this.lastSeenWritten = now;
    tryWrite(() => setProfile(this.doc, this.writer(), { name: current?.name ?? this.user.name, lastSeen: now }));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Runs a housekeeping write; a rule refusal (read-only, say) is not an error worth surfacing. */
export function tryWrite(write: () => void): void {
  try {
    write();
  } catch (error) {
    if (!(error instanceof RuleError)) throw error;
  }
}
