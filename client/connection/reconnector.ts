// What every relay connection shares: getting tokens, refreshing them ahead of expiry, and acting on the close policy.
import { CloseCode } from '../../shared/close-codes.js';
import { rateLimitedSchedule, type BackoffOptions } from '../backoff.js';
import { decodeToken, refreshDelay, tokenExpiresSoon, type TokenClaims } from '../token.js';
import { decideAfterClose, type CloseInput } from './close-policy.js';
import type { GetToken } from './connection-state.js';
import { browserOffline } from './network-signals.js';
import { TokenRefusedError } from './token-refused-error.js';

/** The link's state as the policy sees it (a connection adds its own: synced, ready …). */
export interface LinkState {
  status: 'connecting' | 'connected' | 'offline' | 'auth-expired' | 'forbidden' | 'deleted' | 'closed';
  attempt: number;
  code?: number;
  reason?: string;
  retryAt?: number;
}

export interface ReconnectorOptions {
  userId: string;
  getToken: GetToken;
  /** The room named in token requests. */
  room: () => string;
  backoff?: BackoffOptions;
  /** Open a socket with `token` (a token is always at hand when this is called). */
  open: (token: string) => void;
  /** A fresh token arrived ahead of expiry while connected: move the session onto it (swap or send in band). */
  refreshed: (token: string) => void;
  /** Close the current socket, if any: the token is for someone else. */
  stop: () => void;
  /** Every state change. */
  state: (state: LinkState) => void;
  /** Each new token's claims. */
  token?: (claims: TokenClaims | undefined) => void;
}

/**
 * Drives one link (a per-room socket, or the shared socket): fetches a token before opening (a `TokenRefusedError`
 * is `auth-expired`, any other failure `offline`), refuses a token for another user (`forbidden`, final),
 * refreshes tokens ahead of expiry, and turns every close into the close policy's decision (close-policy.ts).
 */
export class Reconnector {
  state: LinkState = { status: 'connecting', attempt: 0 };
  private readonly options: ReconnectorOptions;
  private token: string | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private unauthorizedInARow = 0;
  private fetching = false;
  private disposed = false;

  constructor(options: ReconnectorOptions) {
    this.options = options;
  }

  /** Whether the link is final (forbidden, deleted) or disposed: nothing more will be attempted. */
  get final(): boolean {
    return this.disposed || this.state.status === 'forbidden' || this.state.status === 'deleted';
  }

  /** Whether a retry is waiting on a timer or a token is being fetched. */
  get pending(): boolean {
    return this.fetching || this.retryTimer !== undefined;
  }

  /** Opens (after fetching a token when needed); `forceRefresh` asks getToken for a fresh one. */
  async connect(forceRefresh = false): Promise<void> {
    if (this.final || this.fetching) return;
    this.clearRetry();
    this.set({ status: 'connecting', attempt: this.state.attempt, ...this.lastClose() });
    if (forceRefresh || !this.token || tokenExpiresSoon(this.token)) {
      this.fetching = true;
      let token: unknown;
      try {
        token = await this.options.getToken({ room: this.options.room(), forceRefresh: forceRefresh || !!this.token });
      } catch (error) {
        if (this.disposed) return;
        const reason = `getToken failed: ${error instanceof Error ? error.message : String(error)}`;
        this.closed({ cause: error instanceof TokenRefusedError ? 'token-refused' : 'token-failed' }, { reason });
        return;
      } finally {
        this.fetching = false;
      }
      if (this.disposed) return;
      if (typeof token !== 'string' || token === '') {
        this.closed({ cause: 'token-refused' }, { reason: 'getToken failed: it did not return a token' });
        return;
      }
      if (!this.useToken(token)) return;
    }
    this.options.open(this.token!);
  }

  /** Retries now (back online, page visible, the application asked) unless final or already under way. */
  retryNow(): void {
    if (this.final || this.fetching) return;
    void this.connect(this.state.status === 'auth-expired');
  }

  /** The link works (synced / authenticated): the attempt count and the 4401 streak start again. */
  succeeded(): void {
    this.unauthorizedInARow = 0;
    this.set({ status: 'connected', attempt: 0 });
  }

  /** A socket opened (not yet synced). */
  opened(): void {
    this.set({ status: 'connected', attempt: this.state.attempt });
  }

  /** The socket closed (or a token could not be had): applies the close policy. */
  closed(close: Pick<CloseInput, 'cause' | 'code'>, info: { code?: number; reason?: string }, swapping = false): void {
    if (this.final) return;
    const backoff = this.options.backoff;
    const decision = decideAfterClose(
      { ...close, swapping, attempt: this.state.attempt, unauthorizedInARow: this.unauthorizedInARow, browserOffline: browserOffline() },
      backoff ? { backoff, rateLimitedBackoff: rateLimitedSchedule(backoff) } : {},
    );
    this.unauthorizedInARow = close.code === CloseCode.unauthorized ? this.unauthorizedInARow + 1 : 0;
    this.clearRetry();
    if (decision.action === 'stop') {
      clearTimeout(this.refreshTimer);
      this.set({ status: decision.status, attempt: this.state.attempt, ...info });
      return;
    }
    const { delayMs } = decision;
    this.set({
      status: decision.status,
      attempt: decision.countsAsFailure ? this.state.attempt + 1 : this.state.attempt,
      ...(delayMs !== undefined && decision.status !== 'connecting' ? { retryAt: Date.now() + delayMs } : {}),
      ...(swapping ? {} : info),
    });
    if (delayMs !== undefined) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.connect(decision.forceRefresh);
      }, delayMs);
    }
  }

  /** The browser lost the network and there is no socket to drop: `offline` now, no timer until `online`. */
  wentOffline(): void {
    if (this.final) return;
    this.clearRetry();
    this.set({ status: 'offline', attempt: this.state.attempt, ...this.lastClose() });
  }

  dispose(): void {
    this.disposed = true;
    this.clearRetry();
    clearTimeout(this.refreshTimer);
  }

  private useToken(token: string): boolean {
    const claims = decodeToken(token);
    if (claims && claims.sub !== this.options.userId) {
      // Every write would be refused as another user's: stop here with the reason instead.
      clearTimeout(this.refreshTimer);
      this.set({
        status: 'forbidden',
        attempt: this.state.attempt,
        reason: `the token is for user ${JSON.stringify(claims.sub)}, not ${JSON.stringify(this.options.userId)}`,
      });
      this.options.stop();
      return false;
    }
    this.token = token;
    this.options.token?.(claims);
    clearTimeout(this.refreshTimer);
    const delay = claims ? refreshDelay(claims) : undefined;
    if (delay !== undefined) this.refreshTimer = setTimeout(() => void this.refreshAhead(), delay);
    return true;
  }

  /** Fetches a fresh token before the current one expires; the link moves onto it without a gap. */
  private async refreshAhead(): Promise<void> {
    if (this.final) return;
    let token: unknown;
    try {
      token = await this.options.getToken({ room: this.options.room(), forceRefresh: true });
    } catch {
      return; // keep the current socket; the relay's 4401 at expiry leads to another attempt
    }
    if (typeof token !== 'string' || token === '' || this.final || !this.useToken(token)) return;
    if (this.state.status === 'connected') this.options.refreshed(token);
  }

  private clearRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private lastClose(): { code?: number; reason?: string } {
    const { code, reason } = this.state;
    return { ...(code !== undefined ? { code } : {}), ...(reason !== undefined ? { reason } : {}) };
  }

  private set(state: LinkState): void {
    this.state = state;
    this.options.state(state);
  }
}
