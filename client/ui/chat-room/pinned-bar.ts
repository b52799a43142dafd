// The pinned bar of <chat-room>'s header: one pinned message at a time, cycling through them, with jump and unpin.
import { html, nothing, type TemplateResult } from 'lit';
import type { PinnedMessage } from '../../../shared/conversation.js';
import { excerpt } from '../shared/format.js';
import { icon } from '../shared/icons.js';

export interface PinnedBarContext {
  pins: readonly PinnedMessage[];
  /** Which pin is shown (wraps around). */
  index: number;
  canUnpin: boolean;
  nameOf(userId: string): string;
  /** Shows the pinned message in the history. */
  open(id: string): void;
  /** Shows the next pin. */
  next(): void;
  unpin(id: string): void;
}

/** The bar, or nothing when no message is pinned. */
export function renderPinnedBar(ctx: PinnedBarContext): TemplateResult | typeof nothing {
  const count = ctx.pins.length;
  if (count === 0) return nothing;
  const shown = ctx.pins[((ctx.index % count) + count) % count]!;
  const position = count > 1 ? ` ${(((ctx.index % count) + count) % count) + 1}/${count}` : '';
  return html`<div class="pinned" part="pinned" role="region" aria-label="Pinned messages">
    <button
      type="button"
      class="pinned-next"
      aria-label=${count > 1 ? `Next pinned message (${count} pinned)` : 'Pinned message'}
      title="Next pinned message"
      ?disabled=${count < 2}
      @click=${ctx.next}
    >${icon('pin')}${position}</button>
    <button type="button" class="pinned-text" data-id=${shown.message.id} @click=${() => ctx.open(shown.message.id)}>
      <b>${ctx.nameOf(shown.message.author)}</b> ${excerpt(shown.message.text, 90)}
    </button>
    ${ctx.canUnpin
      ? html`<button type="button" class="pinned-unpin" aria-label="Unpin this message" title="Unpin" @click=${() => ctx.unpin(shown.message.id)}>${icon('close')}</button>`
      : nothing}
  </div>`;
}
