// <chat-app>'s membership views: the New conversation dialog, the members panel and the direct-conversation header, as render functions.
import { html, nothing, type TemplateResult } from 'lit';
import {
  membersOf, myRole, kindOf, type Conversation, type ConversationState, type InviteView, type MemberView, type RosterRole,
} from '../../index.js';
import { initials } from '../shared/format.js';

/** What the New conversation dialog submits. */
export interface NewConversationRequest {
  kind: 'group' | 'direct' | 'channel';
  title: string;
  members: string[];
  public: boolean;
}

/** Splits a typed list of user ids (commas, spaces or new lines). */
export const parseMembers = (text: string): string[] => [...new Set(text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))];

/** The New conversation dialog (a form in a `<dialog>`-like panel). `known` offers people from shared conversations. */
export function renderNewConversation(
  known: ReadonlyArray<{ id: string; name: string }>,
  onSubmit: (request: NewConversationRequest) => void,
  onCancel: () => void,
  busy: boolean,
): TemplateResult {
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    onSubmit({
      kind: (String(data.get('kind') ?? 'group') as NewConversationRequest['kind']),
      title: String(data.get('title') ?? '').trim(),
      members: parseMembers(String(data.get('members') ?? '')),
      public: data.get('public') === 'on',
    });
  };
  return html`<form class="new-conversation panel" aria-label="New conversation" @submit=${submit}>
    <h2>New conversation</h2>
    <fieldset class="kinds">
      <legend>Kind</legend>
      <label><input type="radio" name="kind" value="group" checked /> Group</label>
      <label><input type="radio" name="kind" value="direct" /> Direct message</label>
      <label><input type="radio" name="kind" value="channel" /> Channel</label>
    </fieldset>
    <label>Title <input name="title" maxlength="200" placeholder="Team chat" /></label>
    <label>Members (user ids; one for a direct message)
      <input name="members" list="known-people" autocomplete="off" placeholder="dev-bob, dev-carol" />
    </label>
    <datalist id="known-people">${known.map((p) => html`<option value=${p.id}>${p.name}</option>`)}</datalist>
    <label class="inline"><input type="checkbox" name="public" /> Public channel (anyone signed in may join from a link)</label>
    <div class="actions">
      <button type="submit" ?disabled=${busy}>${busy ? 'Creating…' : 'Create'}</button>
      <button type="button" class="secondary" @click=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

/** Actions the members panel offers; each may throw a RuleError (shown by the caller). */
export interface MemberActions {
  setRole(userId: string, role: RosterRole): void;
  remove(userId: string): void;
  add(userId: string): void;
  leave(): void;
  rename(title: string): void;
  createInvite(): void;
  revokeInvite(id: string): void;
  copy(text: string): void;
}

const ROLE_OPTIONS: RosterRole[] = ['owner', 'admin', 'member', 'reader', 'banned'];

/** Roles `mine` may give to someone who is `theirs` (the roster rules decide on submit; this only trims the menu). */
function assignable(mine: RosterRole | undefined, theirs: RosterRole): RosterRole[] {
  if (mine === 'owner') return ROLE_OPTIONS;
  if (mine === 'admin' && theirs !== 'owner' && theirs !== 'admin') return ['member', 'reader', 'banned'];
  return [];
}

/** The link anyone signed in may follow to join a public channel. */
const publicUrl = (room: string): string => `${location.origin}${location.pathname}#/join/${encodeURIComponent(room)}`;

const seen = (at: number | undefined): string => (at ? `last seen ${new Date(at).toLocaleString()}` : '');

/** The members panel: roster with role, online, custom status and last seen; manage, leave, rename, invite links. */
export function renderMembersPanel(
  conversation: Conversation,
  state: ConversationState,
  invites: readonly InviteView[],
  inviteUrl: (code: string) => string,
  actions: MemberActions,
): TemplateResult {
  const members: MemberView[] = membersOf(conversation);
  const mine = myRole(conversation);
  const manage = mine === 'owner' || mine === 'admin';
  const direct = kindOf(conversation) === 'direct';
  const online = new Map(state.presence.map((p) => [p.id, p]));
  const onAdd = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const id = String(new FormData(form).get('user') ?? '').trim();
    if (id) actions.add(id);
    form.reset();
  };
  const onRename = (event: SubmitEvent) => {
    event.preventDefault();
    actions.rename(String(new FormData(event.target as HTMLFormElement).get('title') ?? '').trim());
  };
  return html`<section class="members panel" aria-label="Members">
    <h2>Members <span class="count">${members.filter((m) => m.role !== 'banned').length}</span></h2>
    ${manage && !direct
      ? html`<form class="rename" @submit=${onRename}>
          <input name="title" aria-label="Conversation title" maxlength="200" .value=${state.meta.title} />
          <button type="submit" class="secondary">Rename</button>
        </form>`
      : nothing}
    <ul class="member-list">
      ${members.map((m) => {
        const here = online.get(m.userId);
        const choices = m.userId === conversation.user.id ? [] : assignable(mine, m.role);
        return html`<li class="member" data-role=${m.role}>
          <span class="avatar small" aria-hidden="true">${initials(m.name ?? m.userId).slice(0, 1)}${here ? html`<span class="dot" data-presence=${here.presence}></span>` : nothing}</span>
          <span class="member-who">
            <span class="member-name">${m.name ?? m.userId}${m.userId === conversation.user.id ? ' (you)' : ''}</span>
            <span class="member-meta">${m.role}${here ? ` · ${here.presence}${here.status ? `: ${here.status}` : ''}` : m.lastSeen ? ` · ${seen(m.lastSeen)}` : ''}</span>
          </span>
          ${choices.length > 0 && !direct
            ? html`<select aria-label=${`Role of ${m.name ?? m.userId}`} .value=${m.role} @change=${(e: Event) => actions.setRole(m.userId, (e.target as HTMLSelectElement).value as RosterRole)}>
                ${choices.includes(m.role) ? nothing : html`<option value=${m.role} selected disabled>${m.role}</option>`}
                ${choices.map((r) => html`<option value=${r} ?selected=${r === m.role}>${r === 'banned' ? 'ban' : r}</option>`)}
              </select>
              <button type="button" class="secondary" @click=${() => actions.remove(m.userId)}>${m.role === 'banned' ? 'Unban' : 'Remove'}</button>`
            : nothing}
        </li>`;
      })}
    </ul>
    ${manage && !direct
      ? html`<form class="add-member" @submit=${onAdd}>
          <input name="user" aria-label="User id to add" placeholder="User id" autocomplete="off" />
          <button type="submit" class="secondary">Add</button>
        </form>
        <div class="invites">
          ${conversation.doc.getMap('meta').get('public') === true
            ? html`<button type="button" class="secondary" @click=${() => actions.copy(publicUrl(conversation.room))}>Copy public link</button>`
            : nothing}
          <button type="button" class="secondary" @click=${actions.createInvite}>Create invite link</button>
          <ul>
            ${invites.filter((i) => i.status === 'usable').map(
              (i) => html`<li>
                <code>${i.role}, ${i.uses}/${i.maxUses} used, until ${new Date(i.expiresAt).toLocaleDateString()}</code>
                <button type="button" class="secondary" @click=${() => actions.copy(inviteUrl(i.code))}>Copy link</button>
                <button type="button" class="secondary" @click=${() => actions.revokeInvite(i.id)}>Revoke</button>
              </li>`,
            )}
          </ul>
        </div>`
      : nothing}
    ${direct ? nothing : html`<button type="button" class="danger leave" @click=${actions.leave}>Leave conversation</button>`}
  </section>`;
}

/** The header of a direct conversation: the other person, with their presence or last seen. */
export function directHeader(conversation: Conversation, state: ConversationState): { title: string; detail: string } | undefined {
  if (kindOf(conversation) !== 'direct') return undefined;
  const other = membersOf(conversation).find((m) => m.userId !== conversation.user.id);
  if (!other) return undefined;
  const here = state.presence.find((p) => p.id === other.userId);
  const detail = here ? `${here.presence}${here.status ? ` · ${here.status}` : ''}` : other.lastSeen ? seen(other.lastSeen) : '';
  return { title: other.name ?? other.userId, detail };
}
