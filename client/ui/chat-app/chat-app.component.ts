// The <chat-app> class (registered by chat-app.ts): the full Parley web app (dev sign-in, conversation list, room view, profile, notifications, offline indicator).
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import {
  addMember, leave, logout, membershipApi, openAccount, openDirect, remove, rename, setRole,
  type Account, type ConversationListItem, type GetToken, type InviteView, type MembershipApi, type MessageView, type Presence, type RosterRole,
} from '../../index.js';
import { directHeader, renderMembersPanel, renderNewConversation, type NewConversationRequest } from './membership-views.js';
import '../chat-room/chat-room.js';
import '../chat-search/chat-search.js';
import '../chat-thread/chat-thread.js';
import type { ChatSearchSelectDetail } from '../chat-search/chat-search.events.js';
import { openLocalSearch, type LocalSearch } from '../../search/local-search.js';
import { avatarStyles } from '../shared/avatar.styles.js';
import { dayKey, excerpt, initials, timeLabel } from '../shared/format.js';
import { icon } from '../shared/icons.js';
import { themeStyles } from '../shared/theme.js';
import { isValidRoomName } from '../../../shared/ids.js';
import { roomNameFrom } from './room-name.js';
import { chatAppStyles } from './chat-app.styles.js';
import { clearSession, devTokenMinter, devUserId, loadSession, saveSession, sessionTokens, type MintToken, type Session } from './app-session.js';
import { ConversationPool, type RoomSummary } from './conversation-pool.js';
import { Notifier, takeDeviceMutes, type RegistrationSource } from './notifier.js';
import { AppPush } from './app-push.js';
import type { PushManagerLike } from '../../push/push-subscriber.js';
import { notificationSettingsStyles, renderConversationNotifications, renderGlobalNotifications } from './notification-settings.js';
import { parseRoomLink } from '../../push/app-link.js';
import { PUSH_PREVIEW_LENGTH, shouldNotify, type PushPayload } from '../../../shared/push.js';
import { MUTED_FOREVER, defaultNotifyLevel, type AccountSettings } from '../../../shared/account.js';
import { mentionsUser } from '../../../shared/mentions.js';
import { mentionBadgeStyles, renderMentionBadge } from './mention-badge.js';

/** Conversations the leading tab keeps open (live) at once, from the device inbox and from the account list each. */
const OPEN_ROOMS = 12;
/** Marks the history entries the app pushed, so its ← can go back instead of adding an entry. */
const ROOM_ENTRY = 'parley-room';
const activeKey = (userId: string): string => `parley:active:${userId}`;
/** How long a search result waits for its conversation to show the message (a room opened cold loads first). */
const SHOW_RESULT_MS = 10_000;

/**
 * The app served at `/` by `npm start`. Everything it shows comes from IndexedDB first, so it opens with
 * the relay down (the service worker caches the shell); the relay only syncs.
 */
export class ChatApp extends LitElement {
  static override styles = [themeStyles, avatarStyles, chatAppStyles, mentionBadgeStyles, notificationSettingsStyles];

  /** Base URL of the relay (default: the server the app came from). */
  @property() relay?: string;

  /** `light`, `dark` or `auto` (follows `prefers-color-scheme`). */
  @property({ reflect: true }) theme: 'auto' | 'light' | 'dark' = 'auto';

  /** Mints relay tokens at sign-in and refresh (default: the relay's dev endpoint `POST /dev/token`). */
  @property({ attribute: false }) mintToken?: MintToken;

  /** The push manager this device subscribes with (default: the app's service worker's `registration.pushManager`). */
  @property({ attribute: false }) pushManager?: () => Promise<PushManagerLike>;
  /** The registration in-page notifications are shown through (default: the app's service worker controlling this page). */
  @property({ attribute: false }) notificationRegistration?: RegistrationSource;

  @state() private session: Session | undefined = loadSession();
  @state() private active: string | undefined;
  @state() private rooms: RoomSummary[] = [];
  @state() private error = '';
  @state() private busy = false;
  @state() private online = typeof navigator === 'undefined' ? true : navigator.onLine;
  @state() private presence: Presence = 'online';
  @state() private statusText = '';
  @state() private permission: NotificationPermission | 'unsupported' = 'unsupported';
  /** The user's conversations from their account document (every device), with preferences. */
  @state() private accountItems: ConversationListItem[] = [];
  @state() private showArchived = false;
  @state() private newOpen = false;
  @state() private membersOpen = false;
  @state() private invites: InviteView[] = [];
  /** Messages still unsent when the user asked to sign out (the warning is showing). */
  @state() private unsentWarning = 0;
  /** The search over every conversation on this device is showing (Ctrl/Cmd+K or `/`). */
  @state() private searching = false;
  /** The notification settings of the open conversation are showing. */
  @state() private notifyOpen = false;
  /** The account's global settings (hide message text in notifications). */
  @state() private accountSettings: AccountSettings = {};

  private search: LocalSearch | undefined;
  private readonly onShortcut = (event: KeyboardEvent): void => {
    if (!this.session || event.defaultPrevented) return;
    const typing = isTyping(event);
    if (((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'k') || (event.key === '/' && !typing)) {
      event.preventDefault();
      this.openSearch();
    }
  };

  private pool: ConversationPool | undefined;
  /** Whether this tab keeps the background rooms open (holds the pool lock). */
  private leader = false;
  private releaseLead: (() => void) | undefined;
  private account: Account | undefined;
  private api: MembershipApi | undefined;
  private stopAccount: (() => void) | undefined;
  /** The session's token source, shared by the pool and the room shown (its attachments upload with it). */
  private tokens: GetToken | undefined;
  private notifier: Notifier | undefined;
  /** This device's Web Push registration and the answers to the service worker (client/push). */
  private push: AppPush | undefined;
  private stopSettings: (() => void) | undefined;
  private readonly onOnline = (): void => {
    this.online = navigator.onLine;
  };
  private readonly onHash = (): void => {
    const code = inviteFromHash();
    if (code) {
      void this.acceptInvite(code);
      return;
    }
    const channel = publicFromHash();
    if (channel) {
      void this.joinPublic(channel);
      return;
    }
    const link = parseRoomLink(location.hash);
    if (link && link.room !== this.active) this.select(link.room, 'keep');
    else if (!link && this.active) this.closeRoom('keep');
    if (link?.messageId) void this.openAt(link.room, link.messageId);
  };
  /** Permission may be granted or revoked in another tab or the site settings: look again when the user comes back. */
  private readonly onReturn = (): void => {
    if (document.visibilityState !== 'hidden') this.permission = this.notifier?.permission ?? this.permission;
    if (this.permission === 'granted') void this.push?.resume();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOnline);
    window.addEventListener('hashchange', this.onHash);
    window.addEventListener('popstate', this.onHash);
    window.addEventListener('focus', this.onReturn);
    document.addEventListener('visibilitychange', this.onReturn);
    window.addEventListener('keydown', this.onShortcut);
    if (this.session) this.start(this.session);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOnline);
    window.removeEventListener('hashchange', this.onHash);
    window.removeEventListener('popstate', this.onHash);
    window.removeEventListener('focus', this.onReturn);
    document.removeEventListener('visibilitychange', this.onReturn);
    window.removeEventListener('keydown', this.onShortcut);
    void this.pool?.close();
    this.pool = undefined;
    this.releaseLead?.();
    this.leader = false;
    this.stopAccount?.();
    void this.account?.close();
    this.account = undefined;
    void this.search?.close();
    this.search = undefined;
    this.push?.stop();
    this.push = undefined;
    this.stopSettings?.();
  }

  /** The relay's base URL as the app uses it. */
  get relayUrl(): string {
    return this.relay || location.origin;
  }

  /** The room shown now, if any. */
  get activeRoom(): string | undefined {
    return this.active;
  }

  // ---- session ----

  private minter(): MintToken {
    return this.mintToken ?? devTokenMinter(this.relayUrl.replace(/^ws/, 'http'));
  }

  private async signIn(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const name = String(new FormData(form).get('name') ?? '').trim();
    if (!name) return;
    this.busy = true;
    this.error = '';
    const session = { userId: devUserId(name), name };
    try {
      // Minting once up front proves the relay is reachable and willing before anything is stored.
      const getToken = sessionTokens(session, this.minter());
      await getToken({ room: '', forceRefresh: true });
      saveSession(session);
      this.session = session;
      this.start(session);
    } catch (error) {
      this.error = signInError(error, this.relayUrl);
    } finally {
      this.busy = false;
    }
  }

  private start(session: Session): void {
    this.notifier = new Notifier(this.notificationRegistration);
    this.permission = this.notifier.permission;
    void watchPermission(() => this.onReturn());
    const getToken = sessionTokens(session, this.minter());
    this.tokens = getToken;
    // The local search index: every conversation cached here is (re)indexed in a worker, open ones followed live.
    this.search = openLocalSearch({ userId: session.userId });
    this.search.ready.then(() => this.search?.indexCached()).catch(() => undefined);
    this.pool = new ConversationPool({
      relayUrl: this.relayUrl,
      user: { id: session.userId, name: session.name },
      getToken,
      onChange: () => this.refresh(),
      onArrival: (room, message, authorName) => this.onArrival(room, message, authorName),
      // Background rooms only once this tab holds the user's pool lock (see `leadBackground`).
      maxOpen: 0,
    });
    this.leadBackground(session.userId);
    this.api = membershipApi({ relayUrl: this.relayUrl, getToken });
    this.account = openAccount({ relayUrl: this.relayUrl, user: { id: session.userId }, getToken, socketScope: 'browser' });
    this.stopSettings = this.account.watchSettings((settings) => (this.accountSettings = settings));
    // Mutes an earlier version kept on this device move into the account (kept until turned back on, as they were).
    for (const room of takeDeviceMutes(session.userId)) {
      try {
        this.account.setPreferences(room, { mutedUntil: MUTED_FOREVER });
      } catch {
        // Not a room name the account accepts: that mute is dropped.
      }
    }
    this.push = new AppPush({
      relayUrl: this.relayUrl,
      getToken,
      shownRoom: () => this.active,
      openRoom: (room, messageId) => void this.openAt(room, messageId),
      onChange: () => this.requestUpdate(),
      ...(this.pushManager ? { pushManager: this.pushManager } : {}),
    });
    // Subscriptions rotate and the relay prunes dead ones: register again on every start once allowed.
    void this.push.resume();
    this.stopAccount = this.account.watch((items) => {
      this.accountItems = items;
      for (const item of items.filter((i) => !i.preferences.archived).slice(0, this.leader ? OPEN_ROOMS : 0)) {
        try {
          this.pool?.open(item.room);
        } catch {
          // An invalid name cannot come from the relay; skip it.
        }
      }
      this.refresh();
    }, { includeArchived: true });
    const code = inviteFromHash();
    if (code) void this.acceptInvite(code);
    const channel = publicFromHash();
    if (channel) void this.joinPublic(channel);
    const link = parseRoomLink(location.hash);
    const remembered = link?.room ?? localStorage.getItem(activeKey(session.userId)) ?? undefined;
    if (remembered && isValidRoomName(remembered)) {
      // Opened straight into a room (a reload, a link): put the list below it, so Back returns to the list.
      if (history.state?.[ROOM_ENTRY] === undefined) history.replaceState(null, '', location.pathname + location.search + '#/');
      this.select(remembered, 'push');
      // A notification opened the app at a message (`#/room/<room>/message/<id>`).
      if (link?.messageId) void this.openAt(remembered, link.messageId);
    }
  }

  /** Asks first when messages are still waiting to be sent: signing out deletes this device's copy of them. */
  private requestSignOut(): void {
    const unsent = this.pool?.pendingCount() ?? 0;
    if (unsent > 0 && this.unsentWarning === 0) {
      this.unsentWarning = unsent;
      return;
    }
    void this.signOut();
  }

  private async signOut(): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.unsentWarning = 0;
    this.busy = true;
    // First, while a token can still be had: the relay forgets this device's push subscription, the browser ends it.
    await this.push?.unregister();
    this.push?.stop();
    this.push = undefined;
    this.stopSettings?.();
    this.stopSettings = undefined;
    this.notifyOpen = false;
    await this.pool?.close();
    this.pool = undefined;
    this.releaseLead?.();
    this.leader = false;
    this.stopAccount?.();
    await this.account?.close();
    this.account = undefined;
    this.accountItems = [];
    // logout() stops the search worker and deletes the index with everything else.
    this.search = undefined;
    this.searching = false;
    // Logging out wipes this device's copy of the user's conversations (shared computers).
    await logout(session.userId).catch(() => undefined);
    clearSession(session.userId);
    localStorage.removeItem(activeKey(session.userId));
    this.session = undefined;
    this.active = undefined;
    this.rooms = [];
    this.busy = false;
    history.replaceState(null, '', location.pathname + location.search);
  }

  // ---- rooms ----

  private refresh(): void {
    this.rooms = this.pool?.summaries() ?? [];
    // Follow every open conversation in the search index (watching the same document again does nothing).
    for (const r of this.rooms) {
      const conversation = this.pool?.get(r.room);
      if (conversation && !conversation.getState().closed) this.search?.watch(r.room, conversation.doc);
    }
    // Muted rooms keep their count in the list (greyed) but do not ask for attention in the tab title.
    const unread = this.rooms.reduce((sum, r) => sum + (this.isMuted(r.room) ? 0 : r.unread), 0);
    document.title = unread > 0 ? `(${unread}) Parley` : 'Parley';
  }

  /**
   * Opens `room`. History: from the list a new entry is pushed (Back returns to the list); from another room
   * the entry is replaced (Back still returns to the list, as in WhatsApp Web and Element); `keep` when the
   * URL already says so (a hash change, Back/Forward).
   */
  private select(room: string, mode: 'push' | 'keep' = 'push'): void {
    if (!this.pool || !this.session) return;
    try {
      this.pool.open(room);
    } catch (error) {
      this.error = (error as Error).message;
      return;
    }
    this.error = '';
    this.active = room;
    localStorage.setItem(activeKey(this.session.userId), room);
    if (mode === 'push' && roomFromHash() !== room) {
      const url = `#/room/${encodeURIComponent(room)}`;
      if (history.state?.[ROOM_ENTRY] !== undefined) history.replaceState({ [ROOM_ENTRY]: room }, '', url);
      else history.pushState({ [ROOM_ENTRY]: room }, '', url);
    }
    void this.updateComplete.then(() => this.renderRoot.querySelector('chat-room')?.focus());
  }

  /** Back to the conversation list (the in-app ←): the same as the browser's Back when the app pushed the room. */
  private closeRoom(mode: 'back' | 'keep' = 'back'): void {
    if (mode === 'back' && history.state?.[ROOM_ENTRY] !== undefined) {
      history.back();
      return;
    }
    this.active = undefined;
    if (this.session) localStorage.removeItem(activeKey(this.session.userId));
    if (roomFromHash() !== undefined) history.replaceState(null, '', location.pathname + location.search + '#/');
  }

  private join(event: SubmitEvent): void {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const typed = String(new FormData(form).get('room') ?? '');
    const room = roomNameFrom(typed);
    if (!room) {
      this.error = typed.trim() === ''
        ? 'Type a room name to join or create a room.'
        : `“${typed.trim().slice(0, 40)}” has no letters or digits to make a room name from. Use letters, digits, spaces or . _ ~ -`;
      return;
    }
    form.reset();
    this.select(room);
  }

  /**
   * A message from someone else reached a background room of this tab: notify by the same rule the relay's push
   * uses (the account's level and mute for the conversation; rooms outside the account: every message).
   */
  private onArrival(room: string, message: MessageView, authorName: string): void {
    const item = this.accountItems.find((i) => i.room === room);
    const mention = this.session !== undefined && mentionsUser(message, this.session.userId);
    if (item) {
      const settings = { level: item.preferences.notify ?? defaultNotifyLevel(item.kind), mutedUntil: item.preferences.mutedUntil ?? 0 };
      if (!shouldNotify(settings, item.kind, mention, Date.now())) return;
    }
    // The payload a push would carry (kind does not change the text), so page and worker word it by one rule.
    const payload: PushPayload = {
      v: 1, room, messageId: message.id, title: item?.title || room, kind: item?.kind ?? 'group', mention, count: 1, at: message.createdAt,
      ...(this.accountSettings.hideMessageText ? {} : { sender: message.author, senderName: authorName, preview: [...message.text].slice(0, PUSH_PREVIEW_LENGTH).join('') }),
    };
    void this.notifier?.notify(payload, room === this.active, () => void this.openAt(room, message.id));
  }

  /**
   * One tab per browser keeps the background rooms open (live badges, presence, notifications): the one holding
   * the Web Lock `parley:<user>:pool`. Other tabs open only the room on screen and the account document, and show
   * the other rooms' badges from the device inbox, which the leading tab keeps current. So N tabs hold at most
   * 2 × OPEN_ROOMS + 2 + 2 × (N − 1) sockets (the account document and the room on screen in each): within the
   * relay's 32 per user for 4 tabs at worst (more when, as usual, inbox and account rooms overlap). When the
   * leading tab closes, another takes over.
   */
  private leadBackground(userId: string): void {
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    if (!locks) {
      this.becomeLeader();
      return;
    }
    const released = new Promise<void>((resolve) => (this.releaseLead = resolve));
    void locks.request(`parley:${userId}:pool`, async () => {
      if (!this.pool) return;
      this.becomeLeader();
      await released;
    }).catch(() => undefined);
  }

  private becomeLeader(): void {
    this.leader = true;
    this.pool?.setBackground(OPEN_ROOMS);
    for (const item of this.accountItems.filter((i) => !i.preferences.archived).slice(0, OPEN_ROOMS)) {
      try {
        this.pool?.open(item.room);
      } catch {
        // skip invalid names
      }
    }
  }

  /** Muted in the account document (every device, and the relay's pushes). */
  private isMuted(room: string): boolean {
    return this.accountItems.find((i) => i.room === room)?.muted ?? false;
  }

  /** The list's bell: mutes until turned back on, or unmutes (a timed mute too), in the account like the panel. */
  private toggleMute(room: string): void {
    this.setNotify(room, { mutedUntil: this.isMuted(room) ? 0 : MUTED_FOREVER });
  }

  private setPreference(room: string, change: { pinned?: boolean; archived?: boolean }): void {
    try {
      this.account?.setPreferences(room, change);
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  // ---- membership ----

  private async createConversation(request: NewConversationRequest): Promise<void> {
    if (!this.api || !this.session) return;
    this.busy = true;
    this.error = '';
    try {
      let room: string;
      if (request.kind === 'direct') {
        if (request.members.length !== 1) throw new Error('A direct message is with exactly one other person: give one user id.');
        const direct = await openDirect(this.api, this.session.userId, request.members[0]!);
        await direct.ready;
        room = direct.room;
      } else {
        room = (await this.api.createConversation({ kind: request.kind, title: request.title, members: request.members, ...(request.kind === 'channel' ? { public: request.public } : {}) })).room;
      }
      this.newOpen = false;
      this.select(room);
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.busy = false;
    }
  }

  private async acceptInvite(code: string): Promise<void> {
    if (!this.api) return;
    history.replaceState(null, '', location.pathname + location.search + '#/');
    try {
      const { room } = await this.api.acceptInvite(code);
      this.select(room);
    } catch (error) {
      this.error = `This invite cannot be used: ${(error as Error).message}.`;
    }
  }

  /** `#/join/<room>`: joins a public channel as a member. */
  private async joinPublic(room: string): Promise<void> {
    if (!this.api) return;
    history.replaceState(null, '', location.pathname + location.search + '#/');
    try {
      await this.api.joinPublic(room);
      this.select(room);
    } catch (error) {
      this.error = `Could not join: ${(error as Error).message}.`;
    }
  }

  private async loadInvites(): Promise<void> {
    if (!this.api || !this.active) return;
    this.invites = await this.api.listInvites(this.active).catch(() => []);
  }

  private toggleMembers(): void {
    this.membersOpen = !this.membersOpen;
    if (this.membersOpen) void this.loadInvites();
  }

  /** Runs a membership action on the open conversation; a refusal by the rules shows as the app's error. */
  private member(action: (conversation: NonNullable<ReturnType<ConversationPool['get']>>) => void | Promise<void>): void {
    const conversation = this.active ? this.pool?.get(this.active) : undefined;
    if (!conversation) return;
    this.error = '';
    Promise.resolve()
      .then(() => action(conversation))
      .then(() => this.requestUpdate(), (error: unknown) => {
        this.error = (error as Error).message;
      });
  }

  /** People from the user's conversations, for the New conversation dialog. */
  private knownPeople(): Array<{ id: string; name: string }> {
    const people = new Map<string, string>();
    for (const r of this.rooms) {
      const state = this.pool?.get(r.room)?.getState();
      for (const [id, profile] of state?.profiles ?? []) if (id !== this.session?.userId) people.set(id, profile.name);
    }
    return [...people].map(([id, name]) => ({ id, name }));
  }

  /** Asks for the permission, then subscribes this device to push (notifications with no tab open). */
  private async enableNotifications(): Promise<void> {
    await this.notifier?.enable().catch(() => undefined);
    this.permission = this.notifier?.permission ?? 'unsupported';
    if (this.permission === 'granted') await this.push?.register();
  }

  /** Writes a notification preference of the open conversation; a refusal shows as the app's error. */
  private setNotify(room: string, change: { notify?: 'all' | 'mentions' | 'none'; mutedUntil?: number }): void {
    try {
      this.account?.setPreferences(room, change);
      this.refresh();
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  private setHideMessageText(hide: boolean): void {
    try {
      this.account?.setSetting('hideMessageText', hide);
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  // ---- search ----

  private openSearch(): void {
    this.searching = true;
    void this.updateComplete.then(() => this.renderRoot.querySelector('chat-search')?.focus());
  }

  /** Opens the result's conversation scrolled to the message, highlighted (waiting for a cold room to load). */
  private async showResult(event: CustomEvent<ChatSearchSelectDetail>): Promise<void> {
    const { room, messageId } = event.detail;
    this.searching = false;
    await this.openAt(room, messageId);
  }

  /** Opens `room` scrolled to `messageId` when given, highlighted (a search result, a clicked notification). */
  private async openAt(room: string, messageId?: string): Promise<void> {
    this.select(room);
    if (!messageId) return;
    const deadline = Date.now() + SHOW_RESULT_MS;
    while (Date.now() < deadline && this.active === room) {
      await this.updateComplete;
      const element = this.renderRoot.querySelector('chat-room');
      if (element && (await element.scrollToMessage(messageId))) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A display name from any open conversation's profiles. */
  private nameOf(userId: string): string {
    for (const r of this.rooms) {
      const name = this.pool?.get(r.room)?.getState().profiles.get(userId)?.name;
      if (name) return name;
    }
    return userId === this.session?.userId ? this.session.name : userId;
  }

  /** `from:` names (as shown) to user ids. */
  private resolveAuthor(name: string): string | undefined {
    const wanted = name.toLowerCase();
    for (const r of this.rooms) {
      for (const [id, profile] of this.pool?.get(r.room)?.getState().profiles ?? []) {
        if (profile.name.toLowerCase() === wanted || profile.name.toLowerCase().split(/\s+/)[0] === wanted) return id;
      }
    }
    return undefined;
  }

  // ---- profile ----

  private setPresence(event: Event): void {
    this.presence = (event.target as HTMLSelectElement).value as Presence;
    this.pool?.setPresence(this.presence, this.statusText);
  }

  private setStatusText(event: Event): void {
    this.statusText = (event.target as HTMLInputElement).value.trim().slice(0, 140);
    this.pool?.setPresence(this.presence, this.statusText);
  }

  private rename(event: Event): void {
    const input = event.target as HTMLInputElement;
    const name = input.value.trim().slice(0, 64);
    if (!this.session || !name || name === this.session.name) {
      input.value = this.session?.name ?? '';
      return;
    }
    this.session = { ...this.session, name };
    saveSession(this.session);
    this.pool?.setName(name);
  }

  // ---- rendering ----

  protected override render(): TemplateResult {
    return this.session ? this.renderApp(this.session) : this.renderSignIn();
  }

  private renderSignIn(): TemplateResult {
    return html`<main class="signin">
      <form @submit=${this.signIn} aria-labelledby="signin-title">
        <h1 id="signin-title"><span class="logo">${icon('logo')}</span> Parley</h1>
        <p>Local-first chat: your conversations live on this device and sync through the relay.</p>
        <label for="name">Pick a name</label>
        <input id="name" name="name" autocomplete="nickname" maxlength="64" required placeholder="Ada Lovelace" />
        <button type="submit" ?disabled=${this.busy}>${this.busy ? 'Signing in…' : 'Sign in'}</button>
        ${this.error ? html`<p class="error" role="alert">${icon('warning')}<span>${this.error}</span></p>` : nothing}
        <p class="hint">Dev mode: the relay hands out a token for any name.</p>
      </form>
    </main>`;
  }

  private renderApp(session: Session): TemplateResult {
    const activeSummary = this.rooms.find((r) => r.room === this.active);
    const offline = !this.online || activeSummary?.status === 'offline';
    const conversation = this.active ? this.pool?.get(this.active) : undefined;
    const activeItem = this.accountItems.find((i) => i.room === this.active);
    return html`<div class="app" ?data-room-open=${Boolean(this.active)}>
      <aside class="sidebar" aria-label="Profile and conversations">
        <div class="me">
          <span class="avatar" aria-hidden="true">${initials(session.name)}<span class="dot" data-presence=${this.presence}></span></span>
          <div class="who">
            <input class="name" aria-label="Your display name" .value=${session.name} maxlength="64" @change=${this.rename} />
            <div class="presence-row">
              <select aria-label="Your presence" .value=${this.presence} @change=${this.setPresence}>
                <option value="online">Online</option>
                <option value="away">Away</option>
                <option value="busy">Busy</option>
              </select>
              <input class="status-text" aria-label="Your status message" placeholder="Set a status…" maxlength="140" .value=${this.statusText} @change=${this.setStatusText} />
            </div>
          </div>
          ${offline ? html`<span class="offline" role="status">Offline</span>` : nothing}
        </div>
        <button type="button" class="search-open" aria-keyshortcuts="Control+K Meta+K /" @click=${this.openSearch}>
          ${icon('search')} Search messages <kbd>Ctrl K</kbd>
        </button>
        <form class="join" @submit=${this.join}>
          <input name="room" aria-label="Room name to join or create" placeholder="Room name" autocomplete="off" />
          <button type="submit">Join</button>
          <button type="button" class="secondary" @click=${() => (this.newOpen = !this.newOpen)} aria-expanded=${this.newOpen ? 'true' : 'false'}>New</button>
        </form>
        ${this.newOpen ? renderNewConversation(this.knownPeople(), (r) => void this.createConversation(r), () => (this.newOpen = false), this.busy) : nothing}
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        ${this.searching && this.search
          ? html`<chat-search
              class="app-search"
              .search=${this.search}
              theme=${this.theme}
              .nameOf=${(id: string) => this.nameOf(id)}
              .roomTitle=${(room: string) => this.rooms.find((r) => r.room === room)?.title ?? room}
              .resolveAuthor=${(name: string) => this.resolveAuthor(name)}
              @chat-search-select=${this.showResult}
              @chat-search-close=${() => (this.searching = false)}
            ></chat-search>`
          : nothing}
        <nav aria-label="Conversations" ?hidden=${this.searching}>
          ${this.rooms.length === 0 ? html`<p class="empty">No conversations yet. Join a room or create one.</p>` : nothing}
          <ul class="rooms">
            ${this.listed().map((r) => this.renderRoomItem(r))}
          </ul>
          ${this.accountItems.some((i) => i.preferences.archived)
            ? html`<button type="button" class="secondary archived-toggle" aria-pressed=${this.showArchived ? 'true' : 'false'} @click=${() => (this.showArchived = !this.showArchived)}>
                ${this.showArchived ? 'Hide archived' : `Archived (${this.accountItems.filter((i) => i.preferences.archived).length})`}
              </button>`
            : nothing}
        </nav>
        <div class="foot">
          ${this.renderNotificationsControl()}
          ${this.unsentWarning > 0
            ? html`<div class="unsent" role="alert">
                <p>${this.unsentWarning === 1 ? '1 message is' : `${this.unsentWarning} messages are`} not sent yet. Signing out deletes ${this.unsentWarning === 1 ? 'it' : 'them'} from this device.</p>
                <button type="button" class="danger" ?disabled=${this.busy} @click=${this.signOut}>Sign out anyway</button>
                <button type="button" class="secondary" @click=${() => (this.unsentWarning = 0)}>Stay signed in</button>
              </div>`
            : html`<button type="button" class="secondary" ?disabled=${this.busy} @click=${this.requestSignOut}>Sign out</button>`}
        </div>
      </aside>
      <main class="main">
        ${this.active && conversation
          ? html`<chat-room .conversation=${conversation} .search=${this.search} room=${this.active} theme=${this.theme} relay=${this.relayUrl} .getToken=${this.tokens}>
              <span slot="header" class="room-header">
                <button type="button" class="back" aria-label="Back to conversations" @click=${() => this.closeRoom()}>${icon('back')}</button>
                ${this.renderRoomTitle(conversation, activeSummary?.title ?? this.active)}
                ${activeItem
                  ? html`<button type="button" class="secondary notify-toggle" aria-expanded=${this.notifyOpen ? 'true' : 'false'} @click=${() => (this.notifyOpen = !this.notifyOpen)}>Notifications</button>`
                  : nothing}
                <button type="button" class="secondary members-toggle" aria-expanded=${this.membersOpen ? 'true' : 'false'} @click=${this.toggleMembers}>Members</button>
              </span>
            </chat-room>
            ${this.notifyOpen && activeItem
              ? renderConversationNotifications(activeItem, {
                  setLevel: (notify) => this.setNotify(activeItem.room, { notify }),
                  muteUntil: (mutedUntil) => this.setNotify(activeItem.room, { mutedUntil }),
                  close: () => {
                    this.notifyOpen = false;
                    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLButtonElement>('.notify-toggle')?.focus());
                  },
                })
              : nothing}
            ${this.membersOpen
              ? renderMembersPanel(conversation, conversation.getState(), this.invites, (code) => `${location.origin}${location.pathname}#/invite/${code}`, {
                  setRole: (id, role: RosterRole) => this.member((c) => setRole(c, id, role)),
                  remove: (id) => this.member((c) => remove(c, id)),
                  add: (id) => this.member((c) => addMember(c, id)),
                  leave: () => this.member((c) => {
                    leave(c);
                    this.membersOpen = false;
                  }),
                  rename: (title) => this.member((c) => rename(c, title)),
                  createInvite: () => this.member(async () => {
                    await this.api?.createInvite(this.active!, { role: 'member', maxUses: 10 });
                    await this.loadInvites();
                  }),
                  revokeInvite: (id) => this.member(async () => {
                    await this.api?.revokeInvite(this.active!, id);
                    await this.loadInvites();
                  }),
                  copy: (text) => void navigator.clipboard?.writeText(text).catch(() => undefined),
                })
              : nothing}`
          : html`<div class="welcome"><p>Pick a conversation, or join a room by name to start one.</p></div>`}
      </main>
    </div>`;
  }

  private renderNotificationsControl(): TemplateResult {
    return renderGlobalNotifications(
      { permission: this.permission, push: this.push?.status ?? 'off', pushError: this.push?.error ?? '', hideMessageText: this.accountSettings.hideMessageText === true },
      { enable: () => void this.enableNotifications(), setHideMessageText: (hide) => this.setHideMessageText(hide) },
    );
  }

  /** The list: the account's conversations and this device's, pinned first, archived only when shown. */
  private listed(): RoomSummary[] {
    const prefs = new Map(this.accountItems.map((i) => [i.room, i]));
    const rooms = new Map(this.rooms.map((r) => [r.room, r]));
    for (const item of this.accountItems) {
      if (!rooms.has(item.room) && this.pool) rooms.set(item.room, { ...this.pool.summary(item.room), title: item.title || item.room, activity: item.joinedAt });
    }
    return [...rooms.values()]
      .filter((r) => this.showArchived || !prefs.get(r.room)?.preferences.archived)
      .map((r) => ({ ...r, title: r.title === r.room && prefs.get(r.room)?.title ? prefs.get(r.room)!.title : r.title }))
      .sort((a, b) => Number(Boolean(prefs.get(b.room)?.preferences.pinned)) - Number(Boolean(prefs.get(a.room)?.preferences.pinned)) || b.activity - a.activity);
  }

  private renderRoomTitle(conversation: NonNullable<ReturnType<ConversationPool['get']>>, fallback: string): TemplateResult {
    const direct = directHeader(conversation, conversation.getState());
    if (!direct) return html`<span class="room-name">${fallback}</span>`;
    return html`<span class="room-name">${direct.title}${direct.detail ? html` <span class="room-detail">${direct.detail}</span>` : nothing}</span>`;
  }

  private renderRoomItem(r: RoomSummary): TemplateResult {
    const muted = this.isMuted(r.room);
    const item = this.accountItems.find((i) => i.room === r.room);
    const preview = r.last ? `${r.last.mine ? 'You' : r.last.authorName}: ${r.last.deleted ? 'Message deleted' : excerpt(r.last.text, 70)}` : 'No messages yet';
    const when = r.last ? (dayKey(r.last.createdAt) === dayKey(Date.now()) ? timeLabel(r.last.createdAt) : new Date(r.last.createdAt).toLocaleDateString()) : '';
    return html`<li class="room-item">
      <button type="button" class="room" aria-current=${r.room === this.active ? 'true' : 'false'} @click=${() => this.select(r.room)}>
        <span class="room-line">
          <span class="room-title">${r.title}</span>
          ${r.online > 0 ? html`<span class="online" title=${`${r.online} online`}><span class="visually-hidden">, ${r.online} online</span><span aria-hidden="true"><span class="online-dot"></span> ${r.online}</span></span>` : nothing}
          <span class="when">${when}</span>
        </span>
        <span class="room-line">
          <span class="preview">${preview}</span>
          ${renderMentionBadge(r.mentions)}
          ${r.unread > 0 ? html`<span class="badge" ?data-muted=${muted}><span class="visually-hidden">, </span>${r.unread}<span class="visually-hidden"> unread${muted ? ', muted' : ''}</span></span>` : nothing}
        </span>
      </button>
      ${item
        ? html`<button type="button" class="pin" aria-pressed=${item.preferences.pinned ? 'true' : 'false'} aria-label=${`Pin ${r.title}`} title=${item.preferences.pinned ? 'Unpin' : 'Pin'} @click=${() => this.setPreference(r.room, { pinned: !item.preferences.pinned })}>${item.preferences.pinned ? '★' : '☆'}</button>
            <button type="button" class="archive" aria-pressed=${item.preferences.archived ? 'true' : 'false'} aria-label=${`Archive ${r.title}`} title=${item.preferences.archived ? 'Unarchive' : 'Archive'} @click=${() => this.setPreference(r.room, { archived: !item.preferences.archived })}>${item.preferences.archived ? '⇡' : '⇣'}</button>
            <button type="button" class="mute" aria-pressed=${muted ? 'true' : 'false'} aria-label=${`Mute notifications from ${r.title}`} title=${muted ? 'Muted on all your devices' : 'Mute on all your devices'} @click=${() => this.toggleMute(r.room)}>
              ${icon(muted ? 'bellOff' : 'bell')}
            </button>`
        : nothing}
    </li>`;
  }
}

/** A sign-in failure in words a person can act on. */
function signInError(error: unknown, relayUrl: string): string {
  // fetch() rejects with a TypeError when the request never got an answer (relay down, offline, blocked).
  if (error instanceof TypeError) {
    const where = relayUrl.replace(/^ws/, 'http');
    return `Could not reach the Parley relay at ${where}. Check that you are online and the relay is running, then try again.`;
  }
  return `Could not sign in: ${(error as Error).message ?? String(error)}`;
}

/** Calls `onChange` when the notification permission changes (where the browser reports it). */
async function watchPermission(onChange: () => void): Promise<void> {
  try {
    const status = await navigator.permissions?.query({ name: 'notifications' });
    if (status) status.onchange = onChange;
  } catch {
    // Not supported: focus and visibility changes still refresh it.
  }
}

/** The room of a `#/join/<room>` link to a public channel. */
function publicFromHash(): string | undefined {
  const match = /^#\/join\/(.+)$/.exec(location.hash);
  if (!match) return undefined;
  try {
    const room = decodeURIComponent(match[1]!);
    return isValidRoomName(room) ? room : undefined;
  } catch {
    return undefined;
  }
}

/** The invite code of a `#/invite/<code>` link. */
function inviteFromHash(): string | undefined {
  const match = /^#\/invite\/([A-Za-z0-9_.-]{1,400})$/.exec(location.hash);
  return match?.[1];
}

/** Whether a key press is going into a text field (then `/` is just a character). */
function isTyping(event: KeyboardEvent): boolean {
  const target = event.composedPath()[0];
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

/** The room of a `#/room/<room>` link (also `#/room/<room>/message/<id>`, see client/push/app-link.ts). */
function roomFromHash(): string | undefined {
  return parseRoomLink(location.hash)?.room;
}

