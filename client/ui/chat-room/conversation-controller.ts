// Wires a host element to one conversation of the client core: opens it from the host's inputs, follows its state, releases it.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { decodeToken, openConversation, type Conversation, type ConversationState } from '../../index.js';

/** How the embedding page hands out relay tokens (called again before expiry and after a refusal). */
export type TokenProvider = (request: { room: string; forceRefresh: boolean }) => Promise<string>;

/** The inputs a host exposes (all optional: the controller waits until they are enough to open). */
export interface ConversationSource {
  relay?: string | undefined;
  room?: string | undefined;
  token?: string | undefined;
  userId?: string | undefined;
  userName?: string | undefined;
  getToken?: TokenProvider | undefined;
  /** A conversation opened by the page: used as is and never closed by the controller. */
  conversation?: Conversation | undefined;
}

export interface ConversationControllerCallbacks {
  /** Every new state (batched by the client core); `previous` is undefined for the first state of a conversation. */
  onState(state: ConversationState, previous: ConversationState | undefined): void;
  onError(error: unknown): void;
}

const RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

/**
 * Opens the conversation described by the host's `relay`, `room`, `user-id`/`user-name` and `token` or
 * `getToken` (or adopts a ready `conversation`), re-opens when those change, and closes it on disconnect.
 * Without a `user-id`, the user is the first token's subject (so the token must be obtainable to open).
 */
export class ConversationController implements ReactiveController {
  conversation: Conversation | undefined;
  state: ConversationState | undefined;
  private readonly host: ReactiveControllerHost & ConversationSource;
  private readonly callbacks: ConversationControllerCallbacks;
  private key = '';
  private generation = 0;
  private owned = false;
  private unsubscribe: (() => void) | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private connected = false;

  constructor(host: ReactiveControllerHost & ConversationSource, callbacks: ConversationControllerCallbacks) {
    this.host = host;
    this.callbacks = callbacks;
    host.addController(this);
  }

  hostConnected(): void {
    this.connected = true;
    this.sync();
  }

  hostUpdate(): void {
    this.sync();
  }

  hostDisconnected(): void {
    this.connected = false;
    this.key = '';
    this.release();
  }

  /** What identifies the conversation to show: a token refresh alone must not re-open it. */
  private configKey(): string {
    const { relay, room, userId, userName, token, getToken, conversation } = this.host;
    if (conversation) return `adopted:${conversationIds.get(conversation)}`;
    if (!relay || !room || (!token && !getToken && !userId)) return '';
    return JSON.stringify([relay, room, userId ?? '', userName ?? '', userId ? '' : Boolean(token || getToken)]);
  }

  private sync(): void {
    if (!this.connected) return;
    const { conversation } = this.host;
    if (conversation && !conversationIds.has(conversation)) conversationIds.set(conversation, nextConversationId++);
    const key = this.configKey();
    if (key === this.key) return;
    this.key = key;
    this.release();
    if (!key) return;
    if (conversation) this.adopt(conversation, false);
    else void this.open(this.generation, 0);
  }

  private release(): void {
    this.generation++;
    clearTimeout(this.retryTimer);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.owned) void this.conversation?.close();
    this.conversation = undefined;
    this.state = undefined;
    this.owned = false;
    this.host.requestUpdate();
  }

  private adopt(conversation: Conversation, owned: boolean): void {
    this.conversation = conversation;
    this.owned = owned;
    this.unsubscribe = conversation.subscribe((state) => this.setState(state));
    this.setState(conversation.getState());
  }

  private setState(state: ConversationState): void {
    const previous = this.state;
    this.state = state;
    this.callbacks.onState(state, previous);
    this.host.requestUpdate();
  }

  private tokenFor(forceRefresh: boolean): Promise<string> {
    const { getToken, token, room } = this.host;
    if (getToken) return getToken({ room: room ?? '', forceRefresh });
    if (token) return Promise.resolve(token);
    return Promise.reject(new Error('no token: set the token attribute or the getToken property'));
  }

  private async open(generation: number, attempt: number): Promise<void> {
    const { relay, room, userId, userName } = this.host;
    let first: string | undefined;
    let user: { id: string; name: string };
    try {
      if (userId) {
        user = { id: userId, name: userName || userId };
      } else {
        first = await this.tokenFor(false);
        const claims = decodeToken(first);
        if (!claims) throw new Error('the token is not a relay JWT with a subject');
        user = { id: claims.sub, name: userName || claims.name || claims.sub };
      }
    } catch (error) {
      if (generation !== this.generation) return;
      this.callbacks.onError(error);
      // No user id without a token: try again later (the relay or the token endpoint may be back).
      this.retryTimer = setTimeout(() => void this.open(generation, attempt + 1), RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]);
      return;
    }
    if (generation !== this.generation) return;
    try {
      const conversation = openConversation({
        relayUrl: relay!,
        room: room!,
        user,
        getToken: ({ forceRefresh }) => {
          // The token fetched to learn the user is used for the first connection instead of fetching another.
          if (first && !forceRefresh) {
            const token = first;
            first = undefined;
            return Promise.resolve(token);
          }
          first = undefined;
          return this.tokenFor(forceRefresh);
        },
      });
      this.adopt(conversation, true);
    } catch (error) {
      this.callbacks.onError(error);
    }
  }
}

// Adopted conversations are told apart by identity, not by their room (two users may share a room name).
const conversationIds = new WeakMap<Conversation, number>();
let nextConversationId = 1;
