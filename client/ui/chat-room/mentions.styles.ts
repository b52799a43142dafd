// Styles of @mentions in <chat-room>: the picker above the composer and the highlight of `@Name` in messages.
import { css } from 'lit';

export const mentionStyles = css`
  .composer {
    position: relative;
  }
  .mention-picker {
    position: absolute;
    bottom: 100%;
    left: 0.5rem;
    z-index: 3;
    min-width: 12rem;
    max-width: min(22rem, 90%);
    max-height: 14rem;
    overflow-y: auto;
    margin: 0 0 0.25rem;
    padding: 0.25rem;
    list-style: none;
    background: var(--_bg);
    color: var(--_fg);
    border: 1px solid var(--_border);
    border-radius: 8px;
    box-shadow: 0 4px 16px rgb(0 0 0 / 0.18);
  }
  .mention-picker [role='option'] {
    padding: 0.35rem 0.5rem;
    border-radius: 6px;
    cursor: pointer;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .mention-picker small {
    color: var(--_muted);
  }
  .mention-picker [aria-selected='true'] {
    background: var(--_accent);
    color: var(--_accent-fg);
  }
  .mention-picker [aria-selected='true'] small {
    color: inherit;
  }
  .mention {
    padding: 0 0.15em;
    border-radius: 4px;
    background: var(--_mention-bg);
    color: var(--_mention-fg);
    font-weight: 600;
  }
  .mention[data-self] {
    background: var(--_mention-self-bg);
    color: var(--_mention-self-fg);
  }
`;
