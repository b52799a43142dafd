// Styles of <chat-thread>: the root, its replies and a composer, in a narrow panel.
import { css } from 'lit';

export const chatThreadStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    min-height: 0;
    background: var(--_bg);
    border-left: 1px solid var(--_border);
  }
  header {
    display: flex;
    align-items: center;
    justify-content: space-between;
    padding: 0.5em 0.8em;
    border-bottom: 1px solid var(--_border);
    font-weight: 600;
  }
  header button {
    border: none;
    background: none;
    cursor: pointer;
    font-size: 1.1em;
  }
  .replies {
    flex: 1;
    overflow-y: auto;
    padding: 0.5em 0.8em;
  }
  .msg {
    padding: 0.35em 0;
  }
  .msg.root {
    padding-bottom: 0.6em;
    margin-bottom: 0.4em;
    border-bottom: 1px solid var(--_border);
  }
  .author {
    font-weight: 600;
    margin-right: 0.4em;
  }
  time,
  .note {
    color: var(--_muted);
    font-size: 0.85em;
  }
  .deleted {
    color: var(--_muted);
    font-style: italic;
  }
  form {
    display: flex;
    flex-direction: column;
    gap: 0.4em;
    padding: 0.5em 0.8em;
    border-top: 1px solid var(--_border);
  }
  textarea {
    resize: vertical;
    min-height: 2.4em;
    padding: 0.4em 0.6em;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_surface);
  }
  .send-row {
    display: flex;
    align-items: center;
    justify-content: space-between;
    gap: 0.5em;
    font-size: 0.9em;
  }
  .send-row button {
    padding: 0.35em 0.9em;
    border: none;
    border-radius: 999px;
    background: var(--_accent);
    color: var(--_accent-fg);
    cursor: pointer;
  }
  .error {
    color: var(--_danger);
    font-size: 0.9em;
  }
`;
