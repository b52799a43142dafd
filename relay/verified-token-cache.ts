// Remembers tokens already verified until they expire, so reconnects and multi-room clients skip the signature check.
import type { Identity } from './auth.js';

/**
 * Why a cache: jose verifies HS256 through WebCrypto as a thread-pool job (≈140 µs of CPU per connection), and a
 * client reconnecting, or opening many rooms, presents the same token again and again. The key is the whole
 * compact token, never a part of it (a valid signature glued to another payload must not hit). Entries expire
 * with the token; the cache is bounded in entries and in token bytes, evicting the least recently used.
 * A JWKS key withdrawn by the identity provider keeps admitting its already-seen tokens until they expire.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Identity>();
  private bytes = 0;

  constructor(
    private readonly maxEntries = 10_000,
    private readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  /** The identity of a token verified before, unless it has expired since. */
  get(token: string, now = Date.now()): Identity | undefined {
    const identity = this.entries.get(token);
    if (identity === undefined) return undefined;
    this.entries.delete(token);
    if (identity.expiresAt <= now) {
      this.bytes -= token.length;
      return undefined;
    }
    this.entries.set(token, identity); // most recently used last
    return identity;
  }

  /** Remembers a verified token's identity (frozen: it is shared by every connection that presents the token). */
  set(token: string, identity: Identity): Identity {
    if (token.length > this.maxBytes) return identity;
    Object.freeze(identity.rooms);
    Object.freeze(identity);
    if (!this.entries.has(token)) this.bytes += token.length;
    this.entries.delete(token);
    this.entries.set(token, identity);
    if (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) this.evict();
    return identity;
  }

  /**
   * Drops the least recently used tokens down to 7/8 of both bounds at once: a Map walked from its start after
   * each single delete scans the holes earlier deletes left, so evicting one entry per insert cost O(holes) each.
   */
  private evict(): void {
    const entries = Math.floor((this.maxEntries * 7) / 8);
    const bytes = Math.floor((this.maxBytes * 7) / 8);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= entries && this.bytes <= bytes) break;
      this.entries.delete(oldest);
      this.bytes -= oldest.length;
    }
  }

  /** How many tokens are remembered (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }
}
