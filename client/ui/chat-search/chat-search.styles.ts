// Styles of <chat-search>: a search field over a list of results with highlighted words.
import { css } from 'lit';

export const chatSearchStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    min-height: 0;
    background: var(--_bg);
  }
  form {
    display: flex;
    gap: 0.5em;
    padding: 0.5em;
    border-bottom: 1px solid var(--_border);
  }
  input {
    flex: 1;
    min-width: 0;
    padding: 0.45em 0.7em;
    border: 1px solid var(--_border);
    border-radius: 999px;
    background: var(--_surface);
  }
  .status {
    padding: 0.4em 0.8em;
    color: var(--_muted);
    font-size: 0.9em;
  }
  ol {
    list-style: none;
    margin: 0;
    padding: 0;
    overflow-y: auto;
  }
  li {
    padding: 0.5em 0.8em;
    border-bottom: 1px solid var(--_border);
    cursor: pointer;
  }
  li[aria-selected='true'] {
    background: var(--_surface);
    outline: 2px solid var(--_focus);
    outline-offset: -2px;
  }
  .where {
    display: flex;
    gap: 0.5em;
    font-size: 0.85em;
    color: var(--_muted);
  }
  .where .author {
    color: var(--_fg);
    font-weight: 600;
  }
  .text {
    margin-top: 0.15em;
    overflow-wrap: anywhere;
  }
  mark {
    background: color-mix(in srgb, var(--_accent) 25%, transparent);
    color: inherit;
    border-radius: 3px;
  }
`;
