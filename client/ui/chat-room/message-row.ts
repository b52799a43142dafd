// Renders one history row of <chat-room>: day separator, unread divider, bubble, quote, reactions, ticks and actions.
import { html, nothing, type TemplateResult } from 'lit';
import type { MessageView, ReactionGroup } from '../../index.js';
import { dayKey, dayLabel, excerpt, linkify, timeLabel } from '../shared/format.js';
import { icon, type IconName } from '../shared/icons.js';
import type { ThreadSummary } from '../../../shared/conversation.js';
import { renderThreadSummary } from './thread-summary.js';
import { renderAttachments, type AttachmentListContext } from './attachment-list.js';
import { mentionSpans } from '../../../shared/mentions.js';

export interface RowActions {
  reply(message: MessageView): void;
  edit(message: MessageView): void;
  remove(message: MessageView): void;
  undoRemove(message: MessageView): void;
  togglePicker(message: MessageView): void;
  toggleReaction(message: MessageView, emoji: string, mine: boolean): void;
  retry(message: MessageView): void;
  /** Opens the thread under `message` (its panel; replying there starts the thread). */
  openThread?(message: MessageView): void;
  togglePin?(message: MessageView, pinned: boolean): void;
}

export interface RowContext {
  message: MessageView;
  /** The message above in conversation order (for author grouping). */
  previous: MessageView | undefined;
  /**
   * The time the row's day separator goes by: the latest `createdAt` up to this row, so separators never go
   * back in time when a message written earlier (offline) lands after newer ones.
   */
  day: number;
  /** The same for the row above (undefined for the first row). */
  previousDay: number | undefined;
  authorName: string;
  quote: { authorName: string; text: string; deleted: boolean } | undefined;
  reactions: readonly ReactionGroup[];
  /** Display names of the people who reacted, by user id. */
  nameOf(userId: string): string;
  unreadDivider: boolean;
  /** Has keyboard focus: its action buttons join the tab order. */
  active: boolean;
  picker: boolean;
  /** Loaded into the composer for editing. */
  editing: boolean;
  /** Deleted by the user a moment ago: still undoable. */
  deleting: boolean;
  canWrite: boolean;
  actions: RowActions;
  /** The thread under this message, when it has replies. */
  thread?: ThreadSummary | undefined;
  /** Threads are offered (top-level messages, when the host shows threads). */
  threads?: boolean;
  pinned?: boolean;
  canPin?: boolean;
  /** Briefly highlighted (a search result or a pinned message being shown). */
  highlight?: boolean;
  /** Links, local previews and the viewer for the message's files (attachment-list.ts). */
  attachments?: Omit<AttachmentListContext, 'tab'>;
  /** Who is reading (their mentions stand out) and the display names `@Name` tokens are found by. */
  mentions?: MentionContext;
}

/** What highlighting mentions needs: the current user and people's display names as the text shows them. */
export interface MentionContext {
  selfId: string;
  nameOf(userId: string): string;
}

/** The emoji offered by the reaction picker. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢'] as const;

const TICKS: Record<string, { icon: IconName; label: string }> = {
  sending: { icon: 'clock', label: 'Sending' },
  sent: { icon: 'check', label: 'Sent' },
  delivered: { icon: 'checks', label: 'Delivered' },
  read: { icon: 'checks', label: 'Read' },
  failed: { icon: 'warning', label: 'Not sent' },
};

const GROUP_GAP_MS = 5 * 60_000;

/** Text as Lit text bindings (never parsed as HTML); only http(s) URLs become links. */
export const renderText = (text: string): unknown[] =>
  linkify(text).map((part) =>
    part.kind === 'link' ? html`<a href=${part.href} target="_blank" rel="noopener noreferrer">${part.text}</a>` : part.text,
  );

/**
 * A message's text with the `@Name` of each mentioned user highlighted (the ids in `mentions` are the truth; a
 * name typed without the picker, or changed since, stays plain text). The current user's mentions stand out more.
 */
export function renderMessageText(message: Pick<MessageView, 'text' | 'mentions'>, context: MentionContext | undefined): unknown[] {
  const ids = message.mentions;
  if (!context || !ids || ids.length === 0) return renderText(message.text);
  const spans = mentionSpans(message.text, ids.map((id) => ({ id, name: context.nameOf(id) })));
  return spans.map((span) =>
    span.mention === undefined
      ? renderText(span.text)
      : span.mention === context.selfId
        ? html`<mark class="mention" part="mention mention-self" data-self data-user=${span.mention}>${span.text}</mark>`
        : html`<mark class="mention" part="mention" data-user=${span.mention}>${span.text}</mark>`,
  );
}

function renderTick(message: MessageView): TemplateResult | typeof nothing {
  const status = message.status;
  if (!message.mine || !status) return nothing;
  const tick = TICKS[status] ?? { icon: 'check', label: status };
  let label = tick.label;
  if (status === 'read' && message.recipients && message.recipients > 1) label = `Read by ${message.readBy ?? 0} of ${message.recipients}`;
  return html`<span class="tick" part="tick tick-${status}" data-status=${status} role="img" aria-label=${label} title=${label}>${icon(tick.icon)}</span>`;
}

/** Who reacted, as a sentence ("Ada, Bob and you"). */
function reactedBy(group: ReactionGroup, nameOf: (userId: string) => string): string {
  const names = group.users.map(nameOf);
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** A long press on a touch screen (or a right click) shows who reacted instead of toggling the reaction. */
const showWho = (event: Event): void => {
  event.preventDefault();
  (event.currentTarget as HTMLElement).focus();
};

function renderReactions(ctx: RowContext, tab: number): TemplateResult | typeof nothing {
  const { message: m, actions } = ctx;
  if (ctx.reactions.length === 0) return nothing;
  return html`<div class="reactions">
    ${ctx.reactions.map((r, i) => {
      const who = reactedBy(r, ctx.nameOf);
      // The names describe the button (read by screen readers even while the tooltip is hidden).
      const whoId = `who-${m.id}-${i}`;
      return html`<button
        type="button"
        class="reaction"
        part="reaction"
        tabindex=${tab}
        aria-pressed=${r.mine ? 'true' : 'false'}
        aria-describedby=${whoId}
        ?disabled=${!ctx.canWrite}
        @click=${() => actions.toggleReaction(m, r.emoji, r.mine)}
        @contextmenu=${showWho}
      ><span class="count">${r.emoji} ${r.count}</span><span class="who" part="reaction-who" id=${whoId}>${who}</span></button>`;
    })}
  </div>`;
}

function renderActions(ctx: RowContext, tab: number): TemplateResult | typeof nothing {
  const { message: m, actions } = ctx;
  if (m.deleted || ctx.deleting || !ctx.canWrite) return nothing;
  const editable = m.mine;
  return html`<div class="actions" part="actions" role="group" aria-label="Message actions">
    ${m.queued ? nothing : html`<button type="button" data-action="reply" tabindex=${tab} aria-label="Reply" title="Reply" @click=${() => actions.reply(m)}>${icon('reply')}</button>`}
    ${m.queued
      ? nothing
      : html`<button type="button" data-action="react" tabindex=${tab} aria-label="Add reaction" title="Add reaction" aria-expanded=${ctx.picker ? 'true' : 'false'} @click=${() => actions.togglePicker(m)}>${icon('smile')}</button>`}
    ${ctx.threads && !m.queued && m.threadRoot === undefined && actions.openThread
      ? html`<button type="button" data-action="thread" tabindex=${tab} aria-label="Reply in thread" title="Reply in thread" @click=${() => actions.openThread!(m)}>${icon('thread')}</button>`
      : nothing}
    ${ctx.canPin && !m.queued && actions.togglePin
      ? html`<button type="button" data-action="pin" tabindex=${tab} aria-pressed=${ctx.pinned ? 'true' : 'false'} aria-label=${ctx.pinned ? 'Unpin' : 'Pin'} title=${ctx.pinned ? 'Unpin' : 'Pin'} @click=${() => actions.togglePin!(m, ctx.pinned === true)}>${icon('pin')}</button>`
      : nothing}
    ${editable ? html`<button type="button" data-action="edit" tabindex=${tab} aria-label="Edit" title="Edit" @click=${() => actions.edit(m)}>${icon('edit')}</button>` : nothing}
    ${editable
      ? html`<span class="separator" aria-hidden="true"></span
          ><button type="button" data-action="delete" class="delete" tabindex=${tab} aria-label="Delete" title="Delete" @click=${() => actions.remove(m)}>${icon('trash')}</button>`
      : nothing}
  </div>`;
}

/** One row; its height is measured by the list, so everything belonging to the message is inside it. */
export function renderRow(ctx: RowContext): TemplateResult {
  const { message: m, previous, actions } = ctx;
  const newDay = ctx.previousDay === undefined || dayKey(ctx.previousDay) !== dayKey(ctx.day);
  const late = dayKey(m.createdAt) !== dayKey(ctx.day);
  const showAuthor = !m.mine && (newDay || ctx.unreadDivider || previous?.author !== m.author || m.createdAt - previous.createdAt > GROUP_GAP_MS);
  const tab = ctx.active ? 0 : -1;
  // A message that landed after newer ones (written offline) keeps its real time, with its day when that differs.
  const time = late ? `${dayLabel(m.createdAt)} ${timeLabel(m.createdAt)}` : timeLabel(m.createdAt);
  return html`<div class="row" data-id=${m.id}>
    ${newDay ? html`<div class="day" part="day">${dayLabel(ctx.day)}</div>` : nothing}
    ${ctx.unreadDivider ? html`<div class="divider" part="unread-divider">New messages</div>` : nothing}
    <div
      class="msg ${m.mine ? 'mine' : ''} ${ctx.highlight ? 'highlight' : ''}"
      part="message ${m.mine ? 'message-mine' : 'message-other'}"
      data-id=${m.id}
      data-status=${m.status ?? nothing}
      ?data-active=${ctx.active}
      ?data-editing=${ctx.editing}
      tabindex="-1"
      aria-label=${`${m.mine ? 'You' : ctx.authorName}, ${time}`}
    >
      ${showAuthor ? html`<div class="author">${ctx.authorName}</div>` : nothing}
      <div class="line">
        <div class="bubble" part="bubble">
          ${ctx.quote && !m.deleted
            ? html`<div class="quote" part="quote"><b>${ctx.quote.authorName}</b>${ctx.quote.deleted ? html`<i>Message deleted</i>` : excerpt(ctx.quote.text)}</div>`
            : nothing}
          ${ctx.attachments ? renderAttachments(m, { ...ctx.attachments, tab }) : nothing}
          ${m.deleted ? html`<span class="deleted">Message deleted</span>` : html`<span class="text">${renderMessageText(m, ctx.mentions)}</span>`}
          <span class="meta">${m.editedAt !== undefined && !m.deleted ? html`<span class="edited" part="edited">edited · </span>` : nothing}<time
              datetime=${new Date(m.createdAt).toISOString()}
              >${time}</time
            >${renderTick(m)}</span
          >
        </div>
        ${renderActions(ctx, tab)}
      </div>
      ${ctx.deleting
        ? html`<div class="undo" part="undo" role="status">
            <span>Deleting…</span>
            <button type="button" @click=${() => actions.undoRemove(m)}>Undo</button>
          </div>`
        : nothing}
      ${m.status === 'failed'
        ? html`<div class="failed" role="alert">
            <span>Not sent${m.error ? `: ${m.error}` : ''}</span>
            <button type="button" part="retry" tabindex=${tab} @click=${() => actions.retry(m)}>Retry</button>
          </div>`
        : nothing}
      ${renderReactions(ctx, tab)}
      ${ctx.thread && actions.openThread ? renderThreadSummary(ctx.thread, () => actions.openThread!(m), tab) : nothing}
      ${ctx.picker
        ? html`<div class="picker" role="group" aria-label="Pick a reaction">
            ${QUICK_REACTIONS.map(
              (emoji) => html`<button type="button" data-emoji=${emoji} aria-label=${`React with ${emoji}`} @click=${() => actions.toggleReaction(m, emoji, false)}>${emoji}</button>`,
            )}
          </div>`
        : nothing}
    </div>
  </div>`;
}
