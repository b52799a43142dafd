// <chat-room>: one embeddable conversation (virtualized history, composer, typing, presence, connection) over the client core.
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { styleMap } from 'lit/directives/style-map.js';
import type { Conversation, ConversationState, MessageView } from '../index.js';
import { Announcer } from './announcer.js';
import { chatRoomStyles } from './chat-room-styles.js';
import { ConversationController, type TokenProvider } from './conversation-controller.js';
import { excerpt, initials, typingText } from './format.js';
import { HeightIndex } from './height-index.js';
import { NewMessageTracker } from './new-messages.js';
import { renderRow, type ReactionGroup, type RowActions } from './message-row.js';
import { groupReactions } from './reactions.js';
import { themeStyles } from './theme.js';

/** `detail` of `chat-send` (cancelable: `preventDefault()` keeps the message from being sent). */
export interface ChatSendDetail {
  text: string;
  replyTo?: string;
  /** Set when the user saves an edit of this message instead of sending a new one. */
  edit?: string;
}
/** `detail` of `chat-message`: a new message from someone else arrived. */
export interface ChatMessageDetail {
  message: MessageView;
  authorName: string;
}
/** `detail` of `chat-status`: the connection changed (`synced` = caught up with the relay). */
export interface ChatStatusDetail {
  status: ConversationState['connection']['status'];
  synced: boolean;
  reason?: string;
}
/** `detail` of `chat-unread`. */
export interface ChatUnreadDetail {
  unread: number;
}
/** `detail` of `chat-error`: an operation failed (`code` from the client core or the model's rules, when known). */
export interface ChatErrorDetail {
  message: string;
  code?: string;
  error: unknown;
}

/** The user-facing state of the connection, shown in the status part and the banner. */
export type RoomStatus = 'loading' | 'connecting' | 'syncing' | 'synced' | 'offline' | 'auth-expired' | 'forbidden' | 'deleted' | 'closed';

const STATUS_LABEL: Record<RoomStatus, string> = {
  loading: 'Loading…',
  connecting: 'Connecting…',
  syncing: 'Syncing…',
  synced: 'Online',
  offline: 'Offline',
  'auth-expired': 'Sign-in expired',
  forbidden: 'No access',
  deleted: 'Room deleted',
  closed: 'Closed',
};

const BANNER_TEXT: Partial<Record<RoomStatus, string>> = {
  connecting: 'Connecting…',
  syncing: 'Syncing…',
  offline: 'Offline: messages are kept on this device and sent when the connection is back.',
  'auth-expired': 'Your sign-in expired. Reconnecting…',
  forbidden: 'You have no access to this room.',
  deleted: 'This room was deleted.',
  closed: 'This conversation is closed.',
};

const ESTIMATED_ROW_PX = 64;
const OVERSCAN_PX = 600;
const BOTTOM_SLACK_PX = 48;

/**
 * A conversation for any page: `<chat-room relay="wss://…" room="team" token="…"></chat-room>`.
 * History is virtualized (only the visible rows and some overscan are in the DOM), so 10,000+ messages
 * scroll smoothly. The README documents its attributes, events, CSS custom properties, parts and slots.
 *
 * @fires chat-send - the user sends or saves a message (cancelable)
 * @fires chat-message - a new message from someone else arrived
 * @fires chat-status - the connection status changed
 * @fires chat-unread - the unread count changed
 * @fires chat-error - an operation failed
 * @slot header - replaces the title in the header
 * @slot empty - shown when the room has no messages yet
 */
@customElement('chat-room')
export class ChatRoom extends LitElement {
  static override styles = [themeStyles, chatRoomStyles];

  static {
    // Rendering twice is by design: rows are measured after a render and the spacers corrected in the next.
    this.disableWarning?.('change-in-update');
  }

  /** Base URL of the relay: `wss://chat.example.com` (`http(s)://` works too). */
  @property() relay?: string;

  /** Room name: 1–128 characters of `[A-Za-z0-9._~-]`. */
  @property() room?: string;

  /** A relay token (JWT). For tokens that expire, set the `getToken` property instead. */
  @property() token?: string;

  /** Display name (default: the token's `name` claim). */
  @property({ attribute: 'user-name' }) userName?: string;

  /** The user id (the tokens' `sub`). When set, the conversation opens from this device's cache before any token is fetched (offline start). */
  @property({ attribute: 'user-id' }) userId?: string;

  /** `light`, `dark`, or `auto` (default: follows `prefers-color-scheme`). */
  @property({ reflect: true }) theme: 'auto' | 'light' | 'dark' = 'auto';

  /** Returns a promise of a relay token; called before connecting, ahead of expiry and after a refusal. */
  @property({ attribute: false }) getToken?: TokenProvider;

  /** A conversation opened by the page with `openConversation`: shown as is and left open on disconnect. */
  @property({ attribute: false }) conversation?: Conversation;

  @state() private draft = '';
  @state() private replyTo: string | undefined;
  @state() private editing: string | undefined;
  @state() private pickerFor: string | undefined;
  @state() private activeId: string | undefined;
  @state() private newBelow = 0;
  @state() private errorText = '';

  @query('.log') private log!: HTMLElement;
  @query('.input') private input!: HTMLTextAreaElement;

  private readonly controller = new ConversationController(this, {
    onState: (next, previous) => this.onState(next, previous),
    onError: (error) => this.fail(error),
  });
  private readonly announcer = new Announcer(this);
  private readonly heights = new HeightIndex(ESTIMATED_ROW_PX);
  private ids: string[] = [];
  private idsOf: readonly MessageView[] | undefined;
  private byId = new Map<string, MessageView>();
  private indexOf = new Map<string, number>();
  private reactions = new Map<string, ReactionGroup[]>();
  private reactionsOf: ConversationState | undefined;
  /** Follow the newest message (the view is at the bottom). */
  private stick = true;
  private logScrollTop = 0;
  private viewport = 0;
  private anchor: { id: string; offset: number } | undefined;
  private resizeObserver: ResizeObserver | undefined;
  private lastWidth = 0;
  private arrivals = new NewMessageTracker();
  private dividerId: string | undefined;
  private dividerSet = false;
  private lastRead: string | undefined;
  private draftBeforeEdit = '';

  override connectedCallback(): void {
    super.connectedCallback();
    this.announcer.attach();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.resizeObserver = undefined;
    this.announcer.detach();
  }

  /** Scrolls to the newest message and follows new ones again. */
  scrollToLatest(): void {
    this.stick = true;
    this.newBelow = 0;
    this.requestUpdate();
    if (this.log) this.log.scrollTop = this.log.scrollHeight;
  }

  /** Moves keyboard focus to the composer. */
  override focus(options?: FocusOptions): void {
    this.input?.focus(options);
  }

  /** The conversation shown (opened by the element or given by the page), once there is one. */
  get activeConversation(): Conversation | undefined {
    return this.controller.conversation;
  }

  /** The connection status as the element shows it. */
  get status(): RoomStatus {
    return roomStatus(this.controller.state);
  }

  // ---- state from the conversation ----

  private onState(next: ConversationState, previous: ConversationState | undefined): void {
    if (!previous) {
      this.arrivals = new NewMessageTracker();
      this.dividerId = undefined;
      this.dividerSet = false;
      this.lastRead = undefined;
      this.stick = true;
      this.anchor = undefined;
    }
    const status = roomStatus(next);
    if (!previous || roomStatus(previous) !== status || previous.connection.reason !== next.connection.reason) {
      this.emit<ChatStatusDetail>('chat-status', {
        status: next.connection.status,
        synced: next.connection.synced,
        ...(next.connection.reason ? { reason: next.connection.reason } : {}),
      });
    }
    if (!previous || previous.unread !== next.unread) this.emit<ChatUnreadDetail>('chat-unread', { unread: next.unread });
    if (!next.loaded) return;
    if (!this.dividerSet) {
      this.dividerSet = true;
      this.dividerId = firstUnread(next.messages, next.unread);
    }
    this.noticeNewMessages(next);
  }

  /** Fires `chat-message` and announces messages from others that arrived after the first sync. */
  private noticeNewMessages(state: ConversationState): void {
    const fresh = this.arrivals.update(state);
    if (fresh.length === 0) return;
    const hidden = typeof document !== 'undefined' && document.visibilityState === 'hidden';
    if ((!this.stick || hidden) && this.dividerId === undefined) this.dividerId = fresh[0]!.id;
    if (!this.stick) this.newBelow += fresh.length;
    for (const message of fresh) this.emit<ChatMessageDetail>('chat-message', { message, authorName: this.nameOf(message.author, state) });
    const last = fresh.at(-1)!;
    this.announcer.say(fresh.length === 1 ? `${this.nameOf(last.author, state)}: ${excerpt(last.text, 200)}` : `${fresh.length} new messages`);
  }

  private nameOf(userId: string, state = this.controller.state): string {
    return state?.profiles.get(userId)?.name || state?.presence.find((p) => p.id === userId)?.name || userId;
  }

  // ---- lifecycle: virtualization and scroll anchoring ----

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    // Remember where the first visible row is, so that rows measured or inserted above do not move the view.
    this.anchor = undefined;
    const log = this.log;
    if (!log || this.stick) return;
    for (const row of log.querySelectorAll<HTMLElement>('.row')) {
      if (row.offsetTop + row.offsetHeight > log.scrollTop) {
        this.anchor = { id: row.dataset.id!, offset: row.offsetTop - log.scrollTop };
        break;
      }
    }
  }

  protected override firstUpdated(): void {
    this.resizeObserver = new ResizeObserver(() => {
      const log = this.log;
      if (!log) return;
      this.viewport = log.clientHeight;
      if (Math.abs(log.clientWidth - this.lastWidth) > 0.5) {
        // Another width wraps text differently: every measured height is stale.
        if (this.lastWidth !== 0) this.heights.reset();
        this.lastWidth = log.clientWidth;
      }
      this.requestUpdate();
    });
    this.resizeObserver.observe(this.log);
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    const log = this.log;
    if (!log) return;
    this.viewport = log.clientHeight;
    let remeasure = false;
    for (const row of log.querySelectorAll<HTMLElement>('.row')) {
      if (this.heights.measure(row.dataset.id!, row.offsetHeight)) remeasure = true;
    }
    if (this.stick) {
      log.scrollTop = log.scrollHeight;
    } else if (this.anchor) {
      const row = log.querySelector<HTMLElement>(`.row[data-id="${CSS.escape(this.anchor.id)}"]`);
      if (row) {
        const target = row.offsetTop - this.anchor.offset;
        if (Math.abs(log.scrollTop - target) >= 1) log.scrollTop = target;
      }
    }
    this.logScrollTop = log.scrollTop;
    // Spacers were computed with estimates: render again with the measured heights (converges in a pass or two).
    if (remeasure) this.requestUpdate();
    this.markVisibleRead();
  }

  private onScroll(): void {
    const log = this.log;
    this.logScrollTop = log.scrollTop;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < BOTTOM_SLACK_PX;
    if (atBottom !== this.stick) this.stick = atBottom;
    if (atBottom) this.newBelow = 0;
    this.requestUpdate();
  }

  /** Marks read up to the last message by someone else that is on screen (the core defers it while the page is hidden). */
  private markVisibleRead(): void {
    const conversation = this.controller.conversation;
    const state = this.controller.state;
    if (!conversation || !state?.loaded || state.unread === 0 || this.viewport === 0 || state.closed) return;
    const messages = state.messages;
    let index = this.heights.indexAt(this.logScrollTop + this.viewport - 1);
    index = Math.min(index, messages.length - 1);
    while (index >= 0 && (messages[index]!.mine || messages[index]!.queued)) index--;
    const id = messages[index]?.id;
    if (!id || id === this.lastRead) return;
    this.lastRead = id;
    try {
      conversation.markRead(id);
    } catch (error) {
      this.fail(error);
    }
  }

  // ---- rendering ----

  protected override render(): TemplateResult {
    const state = this.controller.state;
    const status = roomStatus(state);
    const canWrite = Boolean(state && state.role !== 'read' && !state.closed && status !== 'forbidden' && status !== 'deleted');
    const typing = typingText(state?.typing.map((t) => t.name) ?? []);
    return html`
      <div class="visually-hidden"><slot name="announcer"></slot></div>
      <div class="header" part="header">
        <slot name="header"><div class="title">${state?.meta.title || this.room || ''}</div></slot>
        ${this.renderPresence(state)}
        <span class="status" part="status" data-status=${status} role="status">${STATUS_LABEL[status]}</span>
      </div>
      ${this.renderBanner(state, status)}
      <div
        class="log"
        part="messages"
        role="log"
        aria-label="Messages"
        aria-live="off"
        tabindex="0"
        @scroll=${this.onScroll}
        @keydown=${this.onLogKeydown}
        @focusin=${this.onLogFocusIn}
        @focusout=${this.onLogFocusOut}
      >
        ${this.renderHistory(state, canWrite)}
      </div>
      ${!this.stick && state && state.messages.length > 0
        ? html`<button type="button" class="jump" part="jump" @click=${this.scrollToLatest}>
            ${this.newBelow > 0 ? `↓ ${this.newBelow} new` : '↓ Latest'}
          </button>`
        : nothing}
      <div class="typing" part="typing">${typing}</div>
      ${this.renderContext(state)}
      ${this.errorText
        ? html`<div class="error" role="alert">${this.errorText}<button type="button" aria-label="Dismiss" @click=${() => (this.errorText = '')}>✕</button></div>`
        : nothing}
      <form class="composer" part="composer" @submit=${this.onSubmit}>
        <textarea
          class="input"
          part="input"
          rows="1"
          aria-label=${this.editing ? 'Edit message' : 'Message'}
          placeholder=${state?.role === 'read' ? 'Read-only room' : 'Message'}
          ?disabled=${!canWrite}
          .value=${this.draft}
          @input=${this.onInput}
          @keydown=${this.onInputKeydown}
          @blur=${this.onInputBlur}
        ></textarea>
        <button class="send" part="send" type="submit" ?disabled=${!canWrite}>${this.editing ? 'Save' : 'Send'}</button>
      </form>
    `;
  }

  private renderPresence(state: ConversationState | undefined): TemplateResult | typeof nothing {
    const people = state?.presence ?? [];
    if (people.length === 0) return nothing;
    const shown = people.slice(0, 4);
    const label = people.map((p) => `${p.self ? 'You' : p.name} (${p.presence}${p.status ? `: ${p.status}` : ''})`).join(', ');
    return html`<div class="presence" part="presence" role="img" aria-label=${`Here now: ${label}`} title=${label}>
      ${shown.map(
        (p) => html`<span class="avatar" aria-hidden="true">${initials(p.name).slice(0, 1)}<span class="dot" data-presence=${p.presence}></span></span>`,
      )}
      ${people.length > shown.length ? html`<span aria-hidden="true">+${people.length - shown.length}</span>` : nothing}
    </div>`;
  }

  private renderBanner(state: ConversationState | undefined, status: RoomStatus): TemplateResult | typeof nothing {
    let text = BANNER_TEXT[status];
    const storage = state?.storage.status;
    if (!text && (storage === 'unavailable' || storage === 'failed')) text = 'This device cannot store messages right now: they are kept in memory only.';
    if (!text || status === 'loading') return nothing;
    const retry = status === 'offline' || status === 'auth-expired';
    return html`<div class="banner" part="banner" role="status" data-state=${status}>
      <span>${text}</span>
      ${retry ? html`<button type="button" @click=${() => this.controller.conversation?.reconnect()}>Retry now</button>` : nothing}
    </div>`;
  }

  private renderHistory(state: ConversationState | undefined, canWrite: boolean): unknown {
    if (!state || !state.loaded) return html`<div class="placeholder">Loading…</div>`;
    const messages = state.messages;
    if (messages.length === 0) return html`<div class="placeholder"><slot name="empty">No messages yet. Say hello!</slot></div>`;
    if (this.idsOf !== messages) {
      this.idsOf = messages;
      this.ids = messages.map((m) => m.id);
      this.byId = new Map(messages.map((m) => [m.id, m]));
      this.indexOf = new Map(this.ids.map((id, i) => [id, i]));
    }
    if (this.reactionsOf !== state && this.controller.conversation) {
      this.reactionsOf = state;
      this.reactions = groupReactions(this.controller.conversation.doc, state.userId);
    }
    this.heights.setIds(this.ids);
    const viewport = this.viewport || 800;
    let top = this.stick ? Math.max(0, this.heights.total - viewport) : this.logScrollTop;
    // Rows inserted or re-measured above move the anchor row: render the window around where it is now.
    const anchorIndex = !this.stick && this.anchor ? this.indexOf.get(this.anchor.id) : undefined;
    if (anchorIndex !== undefined) top = Math.max(0, this.heights.offsetOf(anchorIndex) - this.anchor!.offset);
    const win = this.heights.window(top, viewport, OVERSCAN_PX);
    const rows = messages.slice(win.start, win.end);
    const actions = this.rowActions;
    return html`<div class="spacer" style=${styleMap({ height: `${win.before}px` })}></div>
      ${repeat(
        rows,
        (m) => m.id,
        (m, i) => {
          const quoted = m.replyTo !== undefined ? this.byId.get(m.replyTo) : undefined;
          return renderRow({
            message: m,
            previous: messages[win.start + i - 1],
            authorName: this.nameOf(m.author, state),
            quote: quoted ? { authorName: quoted.mine ? 'You' : this.nameOf(quoted.author, state), text: quoted.text, deleted: quoted.deleted } : undefined,
            reactions: this.reactions.get(m.id) ?? [],
            unreadDivider: m.id === this.dividerId,
            active: m.id === this.activeId,
            picker: m.id === this.pickerFor,
            canWrite,
            actions,
          });
        },
      )}
      <div class="spacer" style=${styleMap({ height: `${win.after}px` })}></div>`;
  }

  private renderContext(state: ConversationState | undefined): TemplateResult | typeof nothing {
    const id = this.editing ?? this.replyTo;
    const target = id ? this.byId.get(id) : undefined;
    if (!id || !target) return nothing;
    const who = target.mine ? 'yourself' : this.nameOf(target.author, state);
    const label = this.editing ? 'Editing message' : `Replying to ${who}`;
    return html`<div class="context" part="composer-context">
      <span><b>${label}</b>${this.editing ? ' (Esc to cancel)' : html`: ${excerpt(target.text, 80)}`}</span>
      <button type="button" aria-label=${this.editing ? 'Cancel edit' : 'Cancel reply'} @click=${this.cancelContext}>✕</button>
    </div>`;
  }

  // ---- handlers ----

  private readonly rowActions: RowActions = {
    reply: (m) => {
      this.editing = undefined;
      this.replyTo = m.id;
      this.pickerFor = undefined;
      this.input.focus();
    },
    edit: (m) => this.startEdit(m),
    remove: (m) => void this.run(() => this.controller.conversation?.delete(m.id)),
    togglePicker: (m) => {
      this.pickerFor = this.pickerFor === m.id ? undefined : m.id;
      if (this.pickerFor) void this.updateComplete.then(() => this.log.querySelector<HTMLElement>(`.msg[data-id="${CSS.escape(m.id)}"] .picker button`)?.focus());
    },
    toggleReaction: (m, emoji, mine) => {
      this.pickerFor = undefined;
      void this.run(() => (mine ? this.controller.conversation?.unreact(m.id, emoji) : this.controller.conversation?.react(m.id, emoji)));
    },
    retry: (m) => void this.retry(m),
  };

  private startEdit(m: MessageView): void {
    if (!this.editing) this.draftBeforeEdit = this.draft;
    this.replyTo = undefined;
    this.editing = m.id;
    this.draft = m.text;
    this.pickerFor = undefined;
    void this.updateComplete.then(() => {
      this.input.focus();
      this.input.setSelectionRange(this.draft.length, this.draft.length);
    });
  }

  private cancelContext(): void {
    if (this.editing) this.draft = this.draftBeforeEdit;
    this.editing = undefined;
    this.replyTo = undefined;
    this.input?.focus();
  }

  private async retry(m: MessageView): Promise<void> {
    const conversation = this.controller.conversation;
    if (!conversation) return;
    conversation.reconnect();
    if (!m.queued) return;
    // A refused queued message goes back into the outbox as a new one (the refusal stays with the old entry).
    await this.run(async () => {
      await conversation.delete(m.id);
      await conversation.send(m.text, m.replyTo !== undefined ? { replyTo: m.replyTo } : {});
    });
  }

  private onInput(event: InputEvent): void {
    this.draft = (event.target as HTMLTextAreaElement).value;
    if (!this.editing) this.controller.conversation?.setTyping(this.draft.trim() !== '');
  }

  private onInputBlur(): void {
    this.controller.conversation?.setTyping(false);
  }

  private onInputKeydown(event: KeyboardEvent): void {
    if (event.isComposing) return;
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      void this.submit();
    } else if (event.key === 'Escape' && (this.editing || this.replyTo)) {
      event.preventDefault();
      this.cancelContext();
    } else if (event.key === 'ArrowUp' && this.draft === '' && !this.editing) {
      // Up in an empty composer edits one's last message, as in most chat apps.
      const last = [...(this.controller.state?.messages ?? [])].reverse().find((m) => m.mine && !m.deleted);
      if (last) {
        event.preventDefault();
        this.startEdit(last);
      }
    }
  }

  private onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    void this.submit();
  }

  private async submit(): Promise<void> {
    const conversation = this.controller.conversation;
    const text = this.draft;
    if (!conversation || text.trim() === '') return;
    const editing = this.editing;
    const replyTo = this.replyTo;
    const detail: ChatSendDetail = { text, ...(replyTo ? { replyTo } : {}), ...(editing ? { edit: editing } : {}) };
    if (!this.emit('chat-send', detail, true)) return;
    if (editing) {
      const original = this.byId.get(editing);
      const ok = original?.text === text || (await this.run(() => conversation.edit(editing, text)));
      if (!ok) return;
      this.editing = undefined;
      this.draft = this.draftBeforeEdit;
      return;
    }
    this.draft = '';
    this.replyTo = undefined;
    this.dividerId = undefined;
    this.scrollToLatest();
    const ok = await this.run(() => (replyTo ? conversation.reply(replyTo, text) : conversation.send(text)));
    if (!ok && this.draft === '') this.draft = text;
  }

  /** Moves through messages with the arrow keys; the focused message's actions join the tab order. */
  private onLogKeydown(event: KeyboardEvent): void {
    const messages = this.controller.state?.messages ?? [];
    if (event.key === 'Escape') {
      if (this.pickerFor) this.pickerFor = undefined;
      else this.input?.focus();
      return;
    }
    if (!['ArrowUp', 'ArrowDown', 'Home', 'End'].includes(event.key) || messages.length === 0) return;
    if ((event.target as HTMLElement).closest('.picker')) return;
    event.preventDefault();
    const current = this.activeId ? this.ids.indexOf(this.activeId) : -1;
    let next: number;
    if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = messages.length - 1;
    else if (current < 0) next = messages.length - 1;
    else next = Math.max(0, Math.min(messages.length - 1, current + (event.key === 'ArrowUp' ? -1 : 1)));
    void this.focusMessage(next);
  }

  private async focusMessage(index: number): Promise<void> {
    const id = this.ids[index];
    if (!id) return;
    this.activeId = id;
    let element = this.log.querySelector<HTMLElement>(`.msg[data-id="${CSS.escape(id)}"]`);
    if (!element) {
      // Not rendered: scroll its estimated position into view, then focus it once rendered.
      this.stick = index === this.ids.length - 1;
      this.log.scrollTop = this.heights.offsetOf(index);
      this.logScrollTop = this.log.scrollTop;
      this.requestUpdate();
      await this.updateComplete;
      element = this.log.querySelector<HTMLElement>(`.msg[data-id="${CSS.escape(id)}"]`);
    }
    element?.focus({ preventScroll: true });
    element?.scrollIntoView({ block: 'nearest' });
  }

  private onLogFocusIn(event: FocusEvent): void {
    const message = (event.target as HTMLElement).closest<HTMLElement>('.msg');
    if (message?.dataset.id) this.activeId = message.dataset.id;
  }

  private onLogFocusOut(event: FocusEvent): void {
    const next = event.relatedTarget as Node | null;
    if (!next || !this.log.contains(next)) {
      this.activeId = undefined;
      this.pickerFor = undefined;
    }
  }

  // ---- helpers ----

  /** Runs an operation; failures become a visible error and a `chat-error` event. Returns whether it succeeded. */
  private async run(operation: () => unknown): Promise<boolean> {
    try {
      await operation();
      this.errorText = '';
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  private fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
    this.errorText = message;
    this.emit<ChatErrorDetail>('chat-error', { message, error, ...(code ? { code } : {}) });
  }

  private emit<T>(type: string, detail: T, cancelable = false): boolean {
    return this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true, cancelable }));
  }
}

/** The element's status for a conversation state. */
export function roomStatus(state: ConversationState | undefined): RoomStatus {
  if (!state || !state.loaded) return 'loading';
  const { status, synced } = state.connection;
  if (status === 'connected') return synced ? 'synced' : 'syncing';
  return status;
}

/** The first unread message: the `unread`-th last message by someone else that is not deleted. */
function firstUnread(messages: readonly MessageView[], unread: number): string | undefined {
  if (unread <= 0) return undefined;
  let count = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.mine || m.deleted) continue;
    if (++count === unread) return m.id;
  }
  return undefined;
}


declare global {
  interface HTMLElementTagNameMap {
    'chat-room': ChatRoom;
  }
  /** The element's events; they bubble and are composed, so ancestors and the document hear them too. */
  interface ChatRoomEventMap {
    'chat-send': CustomEvent<ChatSendDetail>;
    'chat-message': CustomEvent<ChatMessageDetail>;
    'chat-status': CustomEvent<ChatStatusDetail>;
    'chat-unread': CustomEvent<ChatUnreadDetail>;
    'chat-error': CustomEvent<ChatErrorDetail>;
  }
  interface HTMLElementEventMap extends ChatRoomEventMap {}
  interface DocumentEventMap extends ChatRoomEventMap {}
}
