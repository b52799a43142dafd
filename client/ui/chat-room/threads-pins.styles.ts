// Styles of <chat-room>'s search, thread and pin pieces: the pinned bar, thread summaries, the side panels, highlights.
import { css } from 'lit';

export const threadsPinsStyles = css`
  .header .search-toggle {
    border: none;
    background: none;
    cursor: pointer;
    font-size: 1em;
    padding: 0.2em 0.35em;
    border-radius: 6px;
  }
  .header .search-toggle[aria-pressed='true'] {
    background: var(--_bg);
  }
  .pinned {
    display: flex;
    align-items: center;
    gap: 0.4em;
    padding: 0.3em 0.9em;
    border-bottom: 1px solid var(--_border);
    background: var(--_bg);
    font-size: 0.88em;
  }
  .pinned button {
    border: none;
    background: none;
    cursor: pointer;
    padding: 0.15em 0.3em;
  }
  .pinned-text {
    flex: 1;
    min-width: 0;
    text-align: left;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .thread-summary {
    display: block;
    margin-top: 0.25em;
    border: none;
    background: none;
    color: var(--_accent);
    cursor: pointer;
    font-size: 0.85em;
    padding: 0.1em 0;
  }
  .thread-summary[data-unread]:not([data-unread='0']) b::after {
    content: ' ●';
    color: var(--_unread);
  }
  .msg.highlight .bubble {
    outline: 3px solid var(--_accent);
    outline-offset: 2px;
  }
  .side {
    position: absolute;
    inset: 0 0 0 auto;
    width: min(100%, 360px);
    z-index: 3;
    display: flex;
    flex-direction: column;
    box-shadow: -4px 0 16px rgb(0 0 0 / 0.15);
  }
  .side > * {
    flex: 1;
    min-height: 0;
  }
  .thread-list {
    display: flex;
    flex-direction: column;
    background: var(--_bg);
    border-left: 1px solid var(--_border);
    overflow-y: auto;
  }
  .thread-list header {
    display: flex;
    justify-content: space-between;
    padding: 0.5em 0.8em;
    border-bottom: 1px solid var(--_border);
    font-weight: 600;
  }
  .thread-list header button {
    border: none;
    background: none;
    cursor: pointer;
  }
  .thread-list ul {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  .thread-list li button {
    display: flex;
    flex-direction: column;
    gap: 0.2em;
    width: 100%;
    padding: 0.5em 0.8em;
    border: none;
    border-bottom: 1px solid var(--_border);
    background: none;
    text-align: left;
    cursor: pointer;
  }
  .thread-meta {
    color: var(--_muted);
    font-size: 0.85em;
  }
  .thread-unread {
    color: var(--_unread);
  }
  .threads-toggle[data-unread]:not([data-unread='0']) {
    color: var(--_unread);
  }
  .side-search {
    inset: 0 0 auto 0;
    width: auto;
    max-height: 70%;
  }
`;
