// The "@" badge of the conversation list: the room has messages mentioning the user that they have not read.
import { css, html, nothing, type TemplateResult } from 'lit';

/**
 * An "@" shown before the unread count while `count` unread messages mention the user (a mention stands out
 * even in a muted room). Screen readers hear ", 2 unread mentions" as part of the room's button.
 */
export function renderMentionBadge(count: number): TemplateResult | typeof nothing {
  if (count <= 0) return nothing;
  const label = `${count} unread ${count === 1 ? 'mention' : 'mentions'}`;
  return html`<span class="mention-badge" data-count=${count} title=${label}
    ><span class="visually-hidden">, ${label}</span><span aria-hidden="true">@</span></span
  >`;
}

export const mentionBadgeStyles = css`
  .mention-badge {
    flex: none;
    min-width: 1.5em;
    padding: 0 0.35em;
    border-radius: 999px;
    background: var(--_mention-self-bg);
    color: var(--_mention-self-fg);
    font-size: 0.78em;
    font-weight: 700;
    text-align: center;
  }
`;
