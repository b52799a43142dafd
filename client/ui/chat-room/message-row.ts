// Renders one history row of <chat-room>: day separator, unread divider, bubble, quote, reactions, ticks and actions.
import { html, nothing, type TemplateResult } from 'lit';
import type { MessageView } from '../../index.js';
import { dayLabel, excerpt, linkify, timeLabel } from '../shared/format.js';

/** Reactions to one message grouped by emoji, as shown under it. */
export interface ReactionGroup {
  emoji: string;
  count: number;
  users: string[];
  mine: boolean;
}

export interface RowActions {
  reply(message: MessageView): void;
  edit(message: MessageView): void;
  remove(message: MessageView): void;
  togglePicker(message: MessageView): void;
  toggleReaction(message: MessageView, emoji: string, mine: boolean): void;
  retry(message: MessageView): void;
}

export interface RowContext {
  message: MessageView;
  /** The message above in conversation order (for day separators and author grouping). */
  previous: MessageView | undefined;
  authorName: string;
  quote: { authorName: string; text: string; deleted: boolean } | undefined;
  reactions: readonly ReactionGroup[];
  unreadDivider: boolean;
  /** Has keyboard focus: its action buttons join the tab order. */
  active: boolean;
  picker: boolean;
  canWrite: boolean;
  actions: RowActions;
}

/** The emoji offered by the reaction picker. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢'] as const;

const TICKS: Record<string, { glyph: string; label: string }> = {
  sending: { glyph: '🕓', label: 'Sending' },
  sent: { glyph: '✓', label: 'Sent' },
  delivered: { glyph: '✓✓', label: 'Delivered' },
  read: { glyph: '✓✓', label: 'Read' },
  failed: { glyph: '⚠', label: 'Not sent' },
};

const GROUP_GAP_MS = 5 * 60_000;

/** Text as Lit text bindings (never parsed as HTML); only http(s) URLs become links. */
export const renderText = (text: string): unknown[] =>
  linkify(text).map((part) =>
    part.kind === 'link' ? html`<a href=${part.href} target="_blank" rel="noopener noreferrer">${part.text}</a>` : part.text,
  );

function renderTick(message: MessageView): TemplateResult | typeof nothing {
  const status = message.status;
  if (!message.mine || !status) return nothing;
  const tick = TICKS[status] ?? { glyph: '', label: status };
  let label = tick.label;
  if (status === 'read' && message.recipients && message.recipients > 1) label = `Read by ${message.readBy ?? 0} of ${message.recipients}`;
  return html`<span class="tick" part="tick tick-${status}" data-status=${status} role="img" aria-label=${label} title=${label}>${tick.glyph}</span>`;
}

/** One row; its height is measured by the list, so everything belonging to the message is inside it. */
export function renderRow(ctx: RowContext): TemplateResult {
  const { message: m, previous, actions } = ctx;
  const newDay = !previous || dayLabel(previous.createdAt) !== dayLabel(m.createdAt);
  const showAuthor = !m.mine && (newDay || ctx.unreadDivider || previous?.author !== m.author || m.createdAt - previous.createdAt > GROUP_GAP_MS);
  const tab = ctx.active ? 0 : -1;
  const editable = m.mine && !m.deleted && ctx.canWrite;
  return html`<div class="row" data-id=${m.id}>
    ${newDay ? html`<div class="day" part="day">${dayLabel(m.createdAt)}</div>` : nothing}
    ${ctx.unreadDivider ? html`<div class="divider" part="unread-divider">New messages</div>` : nothing}
    <div
      class="msg ${m.mine ? 'mine' : ''}"
      part="message ${m.mine ? 'message-mine' : 'message-other'}"
      data-id=${m.id}
      data-status=${m.status ?? nothing}
      ?data-active=${ctx.active}
      tabindex="-1"
      aria-label=${`${m.mine ? 'You' : ctx.authorName}, ${timeLabel(m.createdAt)}`}
    >
      ${showAuthor ? html`<div class="author">${ctx.authorName}</div>` : nothing}
      <div class="bubble" part="bubble">
        ${ctx.quote && !m.deleted
          ? html`<div class="quote" part="quote"><b>${ctx.quote.authorName}</b>${ctx.quote.deleted ? html`<i>Message deleted</i>` : excerpt(ctx.quote.text)}</div>`
          : nothing}
        ${m.deleted ? html`<span class="deleted">Message deleted</span>` : html`<span class="text">${renderText(m.text)}</span>`}
        <span class="meta">${m.editedAt !== undefined && !m.deleted ? html`<span class="edited" part="edited">edited · </span>` : nothing}<time
            datetime=${new Date(m.createdAt).toISOString()}
            >${timeLabel(m.createdAt)}</time
          >${renderTick(m)}</span
        >
      </div>
      ${m.status === 'failed'
        ? html`<div class="failed" role="alert">
            <span>Not sent${m.error ? `: ${m.error}` : ''}</span>
            <button type="button" part="retry" tabindex=${tab} @click=${() => actions.retry(m)}>Retry</button>
          </div>`
        : nothing}
      ${ctx.reactions.length > 0
        ? html`<div class="reactions">
            ${ctx.reactions.map(
              (r) => html`<button
                type="button"
                class="reaction"
                part="reaction"
                tabindex=${tab}
                aria-pressed=${r.mine ? 'true' : 'false'}
                aria-label=${`${r.emoji} ${r.count}`}
                title=${r.users.join(', ')}
                ?disabled=${!ctx.canWrite}
                @click=${() => actions.toggleReaction(m, r.emoji, r.mine)}
              >${r.emoji} ${r.count}</button>`,
            )}
          </div>`
        : nothing}
      ${ctx.picker
        ? html`<div class="picker" role="group" aria-label="Pick a reaction">
            ${QUICK_REACTIONS.map(
              (emoji) => html`<button type="button" data-emoji=${emoji} aria-label=${`React with ${emoji}`} @click=${() => actions.toggleReaction(m, emoji, false)}>${emoji}</button>`,
            )}
          </div>`
        : nothing}
      ${m.deleted || !ctx.canWrite
        ? nothing
        : html`<div class="actions" role="group" aria-label="Message actions">
            ${m.queued ? nothing : html`<button type="button" data-action="reply" tabindex=${tab} aria-label="Reply" title="Reply" @click=${() => actions.reply(m)}>↩</button>`}
            ${m.queued ? nothing : html`<button type="button" data-action="react" tabindex=${tab} aria-label="Add reaction" title="Add reaction" aria-expanded=${ctx.picker ? 'true' : 'false'} @click=${() => actions.togglePicker(m)}>☺</button>`}
            ${editable ? html`<button type="button" data-action="edit" tabindex=${tab} aria-label="Edit" title="Edit" @click=${() => actions.edit(m)}>✎</button>` : nothing}
            ${editable ? html`<button type="button" data-action="delete" tabindex=${tab} aria-label="Delete" title="Delete" @click=${() => actions.remove(m)}>🗑</button>` : nothing}
          </div>`}
    </div>
  </div>`;
}
