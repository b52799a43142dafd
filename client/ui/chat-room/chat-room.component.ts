// The <chat-room> class (not registered here: chat-room.ts does that): one embeddable conversation over the client core.
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { groupReactions, type Conversation, type ConversationState, type MessageView, type ReactionGroup } from '../../index.js';
import { excerpt, typingText } from '../shared/format.js';
import { icon } from '../shared/icons.js';
import { displayName } from '../shared/names.js';
import { NewMessageTracker } from '../shared/new-messages.js';
import { themeStyles } from '../shared/theme.js';
import { avatarStyles } from '../shared/avatar.styles.js';
import { Announcer } from './announcer.js';
import { AttachmentController } from './attachment-controller.js';
import { isShownAsImage, type AttachmentListContext } from './attachment-list.js';
import { attachmentStyles } from './attachments.styles.js';
import { renderViewer, type ViewerContext, type ViewerState } from './attachment-viewer.js';
import { chatRoomStyles } from './chat-room.styles.js';
import { emit, type ChatRoomEvents } from './chat-room.events.js';
import { Composer } from './composer.js';
import { separatorTimes } from './day-order.js';
import { isSystemRow, withSystemRows } from './system-rows.js';
import { people } from './people.js';
import { renderBanner, renderHeader, renderMembers } from './room-header.js';
import { UndoDelete } from './undo-delete.js';
import { ConversationController, type TokenProvider } from './conversation-controller.js';
import { HistoryController } from './history-controller.js';
import { navigate } from './message-navigation.js';
import { renderRow, type RowActions } from './message-row.js';
import { bannerStatus, roomStatus, type RoomStatus } from './room-status.js';
import { inMainFlow, type ThreadSummary } from '../../../shared/conversation.js';
import type { LocalSearch } from '../../search/local-search.js';
import { renderPinnedBar } from './pinned-bar.js';
import { renderThreadList } from './thread-list.js';
import { threadsPinsStyles } from './threads-pins.styles.js';
import { mentionStyles } from './mentions.styles.js';
import { mentionsUser } from '../../../shared/mentions.js';

/** How long a message shown from search or a pin stays highlighted. */
const HIGHLIGHT_MS = 3_000;

/**
 * The search and thread panels are separate elements (`dist/chat-search.js`, `dist/chat-thread.js`), kept out of
 * this bundle's size budget: the element offers them when the page has loaded them (the app always does).
 */
const defined = (tag: string): boolean => typeof customElements !== 'undefined' && customElements.get(tag) !== undefined;

/**
 * A conversation for any page: `<chat-room relay="wss://…" room="team" token="…"></chat-room>`.
 * History is virtualized (`HistoryController`: only the visible rows and some overscan are in the DOM), so
 * 10,000+ messages scroll smoothly. The README documents its attributes, events, CSS custom properties,
 * parts and slots.
 *
 * @fires chat-send - the user sends or saves a message (cancelable)
 * @fires chat-message - a new message from someone else arrived
 * @fires chat-mention - a new message from someone else mentions the current user
 * @fires chat-status - the connection status changed
 * @fires chat-unread - the unread count changed
 * @fires chat-error - an operation failed
 * @fires chat-attachment-open - the user opened an attachment (cancelable: the page shows it instead)
 * @slot header - replaces the title in the header
 * @slot empty - shown when the room has no messages yet
 */
export class ChatRoom extends LitElement {
  static override styles = [themeStyles, avatarStyles, chatRoomStyles, attachmentStyles, threadsPinsStyles, mentionStyles];

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

  /** Turns off in-conversation search (the header's search button), for embeds. */
  @property({ type: Boolean, attribute: 'no-search' }) noSearch = false;

  /** Turns off threads: every reply shows in the main flow and no thread can be started. */
  @property({ type: Boolean, attribute: 'no-threads' }) noThreads = false;

  /** The local search to use (default: the user's, from `openLocalSearch`, fed with this conversation). */
  @property({ attribute: false }) search?: LocalSearch;

  @state() private searchOpen = false;
  @state() private threadRoot: string | undefined;
  @state() private threadListOpen = false;
  @state() private pinIndex = 0;
  @state() private highlightId: string | undefined;
  private highlightTimer: ReturnType<typeof setTimeout> | undefined;
  private mainFlow: { of: ConversationState; messages: MessageView[] } | undefined;

  @state() private pickerFor: string | undefined;
  @state() private activeId: string | undefined;
  @state() private newBelow = 0;
  @state() private errorText = '';
  @state() private membersOpen = false;
  @state() private viewer: ViewerState | undefined;

  @query('.log') private log!: HTMLElement | null;
  @query('.input') private input!: HTMLTextAreaElement | null;

  private readonly controller = new ConversationController(this, {
    onState: (next, previous) => this.onState(next, previous),
    onError: (error) => this.fail(error),
  });
  private readonly history = new HistoryController(this, () => this.log);
  /** A token provider over the `token` attribute, for attachments when no `getToken` is set. */
  private readonly attributeToken = async (): Promise<string> => this.token ?? '';
  private readonly attachments = new AttachmentController(this, {
    conversation: () => this.controller.conversation,
    relay: () => this.relay,
    tokens: () => this.getToken ?? (this.token ? this.attributeToken : undefined),
  });
  private readonly composer = new Composer(this, {
    conversation: () => this.controller.conversation,
    state: () => this.controller.state,
    input: () => this.input,
    message: (id) => this.history.byId(id),
    nameOf: (userId) => this.nameOf(userId),
    announceSend: (detail) => this.emit('chat-send', detail),
    run: (operation) => this.run(operation),
    sent: () => {
      this.dividerId = undefined;
      this.scrollToLatest();
    },
    attachments: this.attachments,
  });
  private readonly announcer = new Announcer(this);
  private reactions = new Map<string, ReactionGroup[]>();
  private reactionsOf: ConversationState | undefined;
  private arrivals = new NewMessageTracker();
  private dividerId: string | undefined;
  private dividerSet = false;
  private lastRead: string | undefined;
  private banner: RoomStatus | undefined;
  private separators: ArrayLike<number> = new Float64Array(0);
  private separatorsOf: readonly MessageView[] | undefined;
  /** Deletes waiting out their undo time. */
  private readonly deletes = new UndoDelete(this, (operation) => this.run(operation));

  override connectedCallback(): void {
    super.connectedCallback();
    this.announcer.attach();
    for (const type of ['dragenter', 'dragover', 'dragleave', 'drop'] as const) this.addEventListener(type, this.onDrag);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.announcer.detach();
    for (const type of ['dragenter', 'dragover', 'dragleave', 'drop'] as const) this.removeEventListener(type, this.onDrag);
  }

  /** Scrolls to the newest message and follows new ones again. */
  scrollToLatest(): void {
    this.newBelow = 0;
    this.history.scrollToLatest();
  }

  /**
   * Shows message `id`, scrolled into view and highlighted, however far back it is; a thread reply opens its
   * thread. Resolves false when the conversation has no such message (yet).
   */
  async scrollToMessage(id: string): Promise<boolean> {
    const state = this.controller.state;
    const message = state?.messages.find((m) => m.id === id);
    if (!state || !message) return false;
    this.highlight(id);
    if (message.threadRoot !== undefined && this.threadsOn && !inMainFlow(message)) {
      this.threadRoot = message.threadRoot;
      await this.updateComplete;
      return true;
    }
    // Indexes are the history's rows (messages and system entries).
    if (!this.mainMessages(state).some((m) => m.id === id)) return false;
    const index = this.history.indexOf(id);
    if (index < 0) return false;
    await this.updateComplete;
    await this.focusMessage(index);
    return true;
  }

  /** Opens the thread panel of `root` (undefined closes it). */
  openThread(root: string | undefined): void {
    this.threadRoot = this.threadsOn ? root : undefined;
  }

  /** Threads are shown as threads: not turned off, and `<chat-thread>` is there to show them. */
  private get threadsOn(): boolean {
    return !this.noThreads && defined('chat-thread');
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
      this.banner = undefined;
      this.history.reset();
    }
    const status = roomStatus(next);
    this.banner = bannerStatus(this.banner, status);
    if (!previous || roomStatus(previous) !== status || previous.connection.reason !== next.connection.reason) {
      this.emit('chat-status', {
        status: next.connection.status,
        synced: next.connection.synced,
        ...(next.connection.reason ? { reason: next.connection.reason } : {}),
      });
    }
    if (!previous || previous.unread !== next.unread) this.emit('chat-unread', { unread: next.unread });
    this.attachments.prune(new Set(next.messages.filter((m) => m.queued).map((m) => m.id)));
    if (!next.loaded) return;
    if (!this.dividerSet) {
      this.dividerSet = true;
      this.dividerId = firstUnread(this.mainMessages(next), next.unread);
    }
    this.noticeNewMessages(next);
  }

  /** Fires `chat-message` and announces messages from others that arrived after the first sync. */
  private noticeNewMessages(state: ConversationState): void {
    const fresh = this.arrivals.update(state);
    if (fresh.length === 0) return;
    const stick = this.history.stick;
    const hidden = typeof document !== 'undefined' && document.visibilityState === 'hidden';
    if ((!stick || hidden) && this.dividerId === undefined) this.dividerId = fresh[0]!.id;
    if (!stick) this.newBelow += fresh.length;
    for (const message of fresh) {
      const authorName = this.nameOf(message.author, state);
      this.emit('chat-message', { message, authorName });
      if (mentionsUser(message, state.userId)) this.emit('chat-mention', { message, authorName });
    }
    const last = fresh.at(-1)!;
    this.announcer.say(fresh.length === 1 ? `${this.nameOf(last.author, state)}: ${excerpt(last.text, 200)}` : `${fresh.length} new messages`);
  }

  private nameOf(userId: string, state = this.controller.state): string {
    return displayName(state, userId);
  }

  protected override updated(): void {
    this.markVisibleRead();
  }

  private onScroll(): void {
    if (this.history.onScroll()) this.newBelow = 0;
  }

  /** Marks read up to the last message by someone else that is on screen (the core defers it while the page is hidden). */
  private markVisibleRead(): void {
    const conversation = this.controller.conversation;
    const state = this.controller.state;
    if (!conversation || !state?.loaded || state.unread === 0 || state.closed) return;
    // The history's rows: messages and system entries (which are never read).
    const messages = this.rows;
    let index = Math.min(this.history.lastVisibleIndex(), messages.length - 1);
    while (index >= 0 && (isSystemRow(messages[index]!) || messages[index]!.mine || messages[index]!.queued)) index--;
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
    const nameOf = (id: string): string => this.nameOf(id, state);
    // Names come from the member profiles first, so a rename shows at once in typing and presence too.
    const typing = typingText(state?.typing.map((t) => nameOf(t.id)) ?? []);
    const members = people(state, nameOf);
    return html`
      <div class="visually-hidden"><slot name="announcer"></slot></div>
      ${renderHeader({
        state, room: this.room, status, members, membersOpen: this.membersOpen, toggleMembers: () => (this.membersOpen = !this.membersOpen), nameOf,
        actions: html`${this.renderThreadsToggle(state)}${this.noSearch || !defined('chat-search')
          ? nothing
          : html`<button type="button" class="search-toggle" part="search-toggle" aria-label="Search this conversation" aria-pressed=${this.searchOpen ? 'true' : 'false'} @click=${this.toggleSearch}>${icon('search')}</button>`}`,
      })}
      ${state
        ? renderPinnedBar({
            pins: state.pins,
            index: this.pinIndex,
            canUnpin: state.canPin && canWrite,
            nameOf,
            open: (id) => void this.scrollToMessage(id),
            next: () => this.pinIndex++,
            unpin: (id) => void this.run(() => this.controller.conversation?.unpin(id)),
          })
        : nothing}
      ${this.membersOpen ? renderMembers(members) : nothing}
      ${renderBanner(state, this.banner ?? status, () => this.controller.conversation?.reconnect())}
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
      ${!this.history.stick && state && state.messages.length > 0
        ? html`<button type="button" class="jump" part="jump" @click=${this.scrollToLatest}>
            ${icon('down')} ${this.newBelow > 0 ? `${this.newBelow} new` : 'Latest'}
          </button>`
        : nothing}
      <div class="typing" part="typing">${typing}</div>
      ${this.composer.renderContext()}
      ${this.errorText
        ? html`<div class="error" role="alert">${icon('warning')}<span>${this.errorText}</span><button type="button" aria-label="Dismiss" @click=${() => (this.errorText = '')}>${icon('close')}</button></div>`
        : nothing}
      ${this.composer.renderForm(canWrite)}
      ${this.renderSidePanels()}
      ${this.renderViewer(state)}
    `;
  }

  private renderViewer(state: ConversationState | undefined): unknown {
    const open = this.viewer;
    const message = open ? state?.messages.find((m) => m.id === open.messageId) : undefined;
    if (!open || !message?.attachments || message.deleted) return nothing;
    const ctx: ViewerContext = {
      attachments: message.attachments,
      state: open,
      link: (blob, name) => (message.queued ? undefined : this.attachments.link(blob, name)),
      local: message.queued ? this.attachments.localUrls(message.id)?.[open.index] : undefined,
      move: (index) => (this.viewer = { messageId: open.messageId, index }),
      close: () => this.closeViewer(),
    };
    return renderViewer(ctx);
  }

  /** The header's thread-list button: how many threads, and whether any has unread replies. */
  private renderThreadsToggle(state: ConversationState | undefined): unknown {
    if (!this.threadsOn || !state || state.threads.length === 0) return nothing;
    const unread = state.threads.reduce((sum, t) => sum + t.unread, 0);
    return html`<button
      type="button"
      class="search-toggle threads-toggle"
      part="threads-toggle"
      aria-label=${`Threads: ${state.threads.length}${unread > 0 ? `, ${unread} new replies` : ''}`}
      aria-pressed=${this.threadListOpen ? 'true' : 'false'}
      data-unread=${unread}
      @click=${() => (this.threadListOpen = !this.threadListOpen)}
    >${icon('thread')} ${state.threads.length}</button>`;
  }

  private renderSidePanels(): unknown {
    const conversation = this.controller.conversation;
    const state = this.controller.state;
    return html`${this.threadListOpen && this.threadsOn && state && this.threadRoot === undefined
      ? html`<div class="side">${renderThreadList({
          threads: state.threads,
          rootOf: (id) => state.messages.find((m) => m.id === id),
          nameOf: (id) => this.nameOf(id, state),
          open: (root) => this.openThread(root),
          close: () => (this.threadListOpen = false),
        })}</div>`
      : nothing}
    ${this.searchOpen && !this.noSearch && conversation
      ? html`<div class="side side-search"><chat-search
          part="search"
          .search=${this.search}
          .conversation=${conversation}
          room=${conversation.room}
          theme=${this.theme}
          placeholder="Search this conversation"
          .nameOf=${(id: string) => this.nameOf(id)}
          @chat-search-select=${(e: CustomEvent<{ messageId: string }>) => {
            e.stopPropagation();
            void this.scrollToMessage(e.detail.messageId);
          }}
          @chat-search-close=${this.toggleSearch}
        ></chat-search></div>`
      : nothing}
    ${this.threadRoot !== undefined && this.threadsOn && conversation
      ? html`<div class="side"><chat-thread
          part="thread"
          .conversation=${conversation}
          root=${this.threadRoot}
          theme=${this.theme}
          @chat-thread-close=${() => (this.threadRoot = undefined)}
        ></chat-thread></div>`
      : nothing}`;
  }

  private toggleSearch(): void {
    this.searchOpen = !this.searchOpen;
    if (this.searchOpen) void this.updateComplete.then(() => this.renderRoot.querySelector('chat-search')?.focus());
  }

  private highlight(id: string): void {
    clearTimeout(this.highlightTimer);
    this.highlightId = id;
    this.highlightTimer = setTimeout(() => (this.highlightId = undefined), HIGHLIGHT_MS);
  }

  /** The messages of the main flow (thread-only replies live in their thread), computed once per state. */
  private mainMessages(state: ConversationState): MessageView[] {
    if (this.mainFlow?.of !== state) {
      this.mainFlow = { of: state, messages: this.threadsOn ? state.messages.filter((m) => inMainFlow(m)) : [...state.messages] };
    }
    return this.mainFlow.messages;
  }

  /** The rows the history shows now: main-flow messages with system entries among them (indexes of `history`). */
  private rows: readonly MessageView[] = [];

  private renderHistory(state: ConversationState | undefined, canWrite: boolean): unknown {
    // While the document loads, the tail the client saved last time is shown (state.preview), then the live view.
    if (!state || (!state.loaded && !state.preview)) return html`<div class="placeholder">Loading…</div>`;
    // Messages with the conversation's system entries (joined, left, renamed…) placed among them by time.
    const messages = withSystemRows(this.mainMessages(state), this.controller.conversation, (id) => this.nameOf(id, state));
    this.rows = messages;
    if (messages.length === 0) return html`<div class="placeholder"><slot name="empty">No messages yet. Say hello!</slot></div>`;
    const threads = new Map<string, ThreadSummary>(this.threadsOn ? state.threads.map((t) => [t.root, t]) : []);
    const pinned = new Set(state.pins.map((p) => p.message.id));
    if (this.reactionsOf !== state && this.controller.conversation) {
      this.reactionsOf = state;
      this.reactions = groupReactions(this.controller.conversation.doc, state.userId);
    }
    this.history.setMessages(messages);
    if (this.separatorsOf !== messages) {
      this.separatorsOf = messages;
      this.separators = separatorTimes(messages);
    }
    const actions = this.rowActions;
    const nameOf = (id: string): string => (id === state.userId ? 'you' : this.nameOf(id, state));
    const mentions = { selfId: state.userId, nameOf: (id: string) => this.nameOf(id, state) };
    return this.history.render(messages, (m, previous, index) => {
      if (isSystemRow(m)) return html`<div class="row system" part="system-entry" data-id=${m.id} role="note">${m.text}</div>`;
      const quoted = m.replyTo !== undefined ? this.history.byId(m.replyTo) : undefined;
      return renderRow({
        message: m,
        previous,
        day: this.separators[index] ?? m.createdAt,
        previousDay: index > 0 ? this.separators[index - 1] : undefined,
        nameOf,
        editing: m.id === this.composer.editing,
        deleting: this.deletes.has(m.id),
        authorName: this.nameOf(m.author, state),
        quote: quoted ? { authorName: quoted.mine ? 'You' : this.nameOf(quoted.author, state), text: quoted.text, deleted: quoted.deleted } : undefined,
        reactions: this.reactions.get(m.id) ?? [],
        unreadDivider: m.id === this.dividerId,
        active: m.id === this.activeId,
        picker: m.id === this.pickerFor,
        canWrite,
        actions,
        thread: threads.get(m.id),
        threads: this.threadsOn,
        pinned: pinned.has(m.id),
        canPin: state.canPin && canWrite,
        highlight: m.id === this.highlightId,
        mentions,
        ...(this.attachments.enabled ? { attachments: this.attachmentList } : {}),
      });
    });
  }

  private readonly attachmentList: Omit<AttachmentListContext, 'tab'> = {
    link: (blob, name) => this.attachments.link(blob, name),
    localUrls: (id) => this.attachments.localUrls(id),
    progress: (id) => this.attachments.progress(id),
    open: (message, index) => this.openAttachment(message, index),
  };

  /** Opens an image in the viewer, unless the page handles `chat-attachment-open` itself. */
  private openAttachment(message: MessageView, index: number): void {
    const attachment = message.attachments?.[index];
    if (!attachment) return;
    const url = message.queued ? undefined : this.attachments.link(attachment.blob, attachment.name);
    if (!this.emit('chat-attachment-open', { message, attachment, index, ...(url ? { url } : {}) })) return;
    if (!isShownAsImage(attachment)) return;
    this.viewerReturn = (this.renderRoot as ShadowRoot).activeElement as HTMLElement | null;
    this.viewer = { messageId: message.id, index };
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('.viewer')?.focus());
  }

  private viewerReturn: HTMLElement | null = null;

  private closeViewer(): void {
    this.viewer = undefined;
    const back = this.viewerReturn;
    this.viewerReturn = null;
    void this.updateComplete.then(() => back?.focus());
  }

  /** Files dropped anywhere on the element are staged for the next message. */
  private readonly onDrag = (event: DragEvent): void => {
    const hasFiles = event.dataTransfer?.types.includes('Files') ?? false;
    const state = this.controller.state;
    if (!hasFiles || !this.attachments.enabled || !state || state.role === 'read') return;
    event.preventDefault();
    if (event.type === 'dragenter' || event.type === 'dragover') {
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
      this.toggleAttribute('data-dropping', true);
      return;
    }
    if (event.type === 'dragleave' && this.contains(event.relatedTarget as Node | null)) return;
    this.toggleAttribute('data-dropping', false);
    if (event.type === 'drop') {
      this.attachments.add([...(event.dataTransfer?.files ?? [])]);
      this.input?.focus();
    }
  };

  // ---- handlers ----

  private readonly rowActions: RowActions = {
    reply: (m) => {
      this.pickerFor = undefined;
      this.composer.reply(m);
    },
    edit: (m) => {
      this.pickerFor = undefined;
      this.composer.startEdit(m);
    },
    remove: (m) => {
      const conversation = this.controller.conversation;
      if (conversation) this.deletes.start(m.id, conversation);
    },
    undoRemove: (m) => this.deletes.undo(m.id),
    togglePicker: (m) => {
      this.pickerFor = this.pickerFor === m.id ? undefined : m.id;
      if (this.pickerFor) void this.updateComplete.then(() => this.log?.querySelector<HTMLElement>(`.msg[data-id="${CSS.escape(m.id)}"] .picker button`)?.focus());
    },
    toggleReaction: (m, emoji, mine) => {
      this.pickerFor = undefined;
      void this.run(() => (mine ? this.controller.conversation?.unreact(m.id, emoji) : this.controller.conversation?.react(m.id, emoji)));
    },
    retry: (m) => void this.retry(m),
    openThread: (m) => this.openThread(m.id),
    togglePin: (m, pinned) => void this.run(() => (pinned ? this.controller.conversation?.unpin(m.id) : this.controller.conversation?.pin(m.id))),
  };

  private async retry(m: MessageView): Promise<void> {
    const conversation = this.controller.conversation;
    if (!conversation) return;
    conversation.reconnect();
    if (!m.queued) return;
    if (m.attachments?.length && this.attachments.enabled) {
      // Its files are still on this device: they are sent again with it.
      await this.run(() => this.attachments.retry(m));
      return;
    }
    // A refused queued message goes back into the outbox as a new one (the refusal stays with the old entry).
    await this.run(async () => {
      await conversation.delete(m.id);
      await conversation.send(m.text, m.replyTo !== undefined ? { replyTo: m.replyTo } : {});
    });
  }

  /** Moves through messages with the arrow keys; the focused message's actions join the tab order. */
  private onLogKeydown(event: KeyboardEvent): void {
    const messages = this.rows;
    if (event.key === 'Escape') {
      if (this.pickerFor) this.pickerFor = undefined;
      else this.input?.focus();
      return;
    }
    if ((event.target as HTMLElement).closest('.picker')) return;
    const current = this.activeId ? this.history.indexOf(this.activeId) : -1;
    const next = navigate(event.key, current, messages.length);
    if (next === undefined) return;
    event.preventDefault();
    void this.focusMessage(next);
  }

  private async focusMessage(index: number): Promise<void> {
    const id = this.history.idAt(index);
    if (!id) return;
    this.activeId = id;
    const find = (): HTMLElement | null | undefined => this.log?.querySelector<HTMLElement>(`.msg[data-id="${CSS.escape(id)}"]`);
    let element = find();
    if (!element) {
      // Not rendered: scroll its estimated position into view, then focus it once rendered.
      this.history.reveal(index);
      await this.updateComplete;
      element = find();
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
    if (!next || !this.log?.contains(next)) {
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
    this.emit('chat-error', { message, error, ...(code ? { code } : {}) });
  }

  private emit<K extends keyof ChatRoomEvents>(type: K, detail: ChatRoomEvents[K]): boolean {
    return emit(this, type, detail);
  }
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
