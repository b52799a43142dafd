// Layout and look of <chat-room>: every colour and radius comes from the theme tokens (shared/theme.ts), so pages restyle it with --parley-*.
import { css } from 'lit';

export const chatRoomStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    position: relative;
    height: 480px;
    min-height: 0;
    min-width: 0;
    box-sizing: border-box;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    overflow: hidden;
    contain: content;
  }
  :host([hidden]) {
    display: none;
  }
  .header {
    display: flex;
    align-items: center;
    gap: 0.75em;
    padding: 0.6em 0.9em;
    border-bottom: 1px solid var(--_border);
    background: var(--_surface);
    min-height: 2.4em;
  }
  .heading {
    flex: 1;
    min-width: 0;
    display: flex;
    flex-direction: column;
  }
  .subtitle {
    font-size: 0.8em;
    /* Follows the header's colour, so a page that recolours ::part(header) keeps the line readable. */
    color: color-mix(in srgb, currentColor 78%, transparent);
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .title {
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  ::slotted([slot='header']) {
    flex: 1;
    min-width: 0;
  }
  .presence {
    display: flex;
    align-items: center;
    gap: 0.25em;
    color: inherit;
    font-size: 0.85em;
    border: 1px solid transparent;
    border-radius: 999px;
    background: transparent;
    padding: 0.2em 0.45em;
    cursor: pointer;
  }
  .presence:hover,
  .presence[aria-expanded='true'] {
    border-color: var(--_border);
    background: var(--_bg);
  }
  .members {
    border-bottom: 1px solid var(--_border);
    background: var(--_surface);
    max-height: 40%;
    overflow-y: auto;
    font-size: 0.88em;
  }
  .members ul {
    list-style: none;
    margin: 0;
    padding: 0.3em 0.9em;
  }
  .member {
    display: flex;
    align-items: center;
    gap: 0.6em;
    padding: 0.25em 0;
  }
  .member-name {
    font-weight: 600;
  }
  .member-line {
    color: var(--_muted);
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .status {
    font-size: 0.8em;
    color: var(--_muted);
    white-space: nowrap;
  }
  .status::before {
    content: '';
    display: inline-block;
    width: 0.55em;
    height: 0.55em;
    margin-right: 0.35em;
    border-radius: 50%;
    background: var(--_muted);
  }
  .status[data-status='synced']::before {
    background: var(--_presence-online);
  }
  .status[data-status='offline']::before,
  .status[data-status='forbidden']::before,
  .status[data-status='deleted']::before,
  .status[data-status='auth-expired']::before {
    background: var(--_danger);
  }
  .banner {
    display: flex;
    align-items: center;
    gap: 0.75em;
    padding: 0.45em 0.9em;
    background: var(--_banner-bg);
    color: var(--_banner-fg);
    font-size: 0.88em;
  }
  .banner button,
  .error button {
    margin-left: auto;
    border: 1px solid currentColor;
    background: transparent;
    border-radius: 6px;
    padding: 0.1em 0.6em;
    cursor: pointer;
  }
  .log {
    position: relative;
    /* A column whose first child has an auto top margin: a short conversation sits at the bottom, next to the
       composer, and a long one scrolls as usual (an auto margin never pushes content out of reach). */
    display: flex;
    flex-direction: column;
    container: history / inline-size;
    flex: 1;
    min-height: 0;
    overflow-y: auto;
    overflow-x: hidden;
    overflow-anchor: none;
    padding: 0 0.6em;
    outline-offset: -2px;
  }
  .log > * {
    flex: none;
  }
  .log > .spacer:first-child {
    margin-top: auto;
  }
  .placeholder {
    flex: 1 !important;
    display: grid;
    place-items: center;
    height: 100%;
    color: var(--_muted);
    text-align: center;
  }
  .row.system {
    text-align: center;
    font-size: 0.8em;
    color: var(--_muted);
    padding: 4px 12px;
  }
  .row {
    display: flow-root;
    padding: 0.15em 0;
  }
  .day,
  .divider {
    display: flex;
    align-items: center;
    gap: 0.75em;
    margin: 0.8em 0 0.4em;
    font-size: 0.78em;
    color: var(--_muted);
  }
  .day::before,
  .day::after,
  .divider::before,
  .divider::after {
    content: '';
    flex: 1;
    border-top: 1px solid var(--_border);
  }
  .divider {
    color: var(--_unread);
    font-weight: 600;
  }
  .divider::before,
  .divider::after {
    border-color: var(--_unread);
  }
  .msg {
    position: relative;
    display: flex;
    flex-direction: column;
    align-items: flex-start;
    max-width: 100%;
    border-radius: 10px;
    outline-offset: 1px;
  }
  .msg.mine {
    align-items: flex-end;
  }
  .msg[data-editing] .bubble {
    /* The message being edited stands out while its new text is in the composer. */
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  .line {
    display: flex;
    align-items: center;
    gap: 0.3em;
    max-width: 100%;
  }
  .mine .line {
    flex-direction: row-reverse;
  }
  .author {
    font-size: 0.8em;
    font-weight: 600;
    color: var(--_muted);
    margin: 0.45em 0.8em 0.15em;
  }
  .bubble {
    min-width: 0;
    max-width: min(78%, 42em);
    padding: 0.45em 0.75em;
    border-radius: var(--_radius);
    background: var(--_bubble);
    color: var(--_bubble-fg);
    overflow-wrap: anywhere;
    line-height: 1.35;
  }
  .text {
    /* Line breaks typed with Shift+Enter are kept; long unbroken strings wrap anywhere. */
    white-space: pre-wrap;
  }
  .mine .bubble {
    background: var(--_bubble-mine);
    color: var(--_bubble-mine-fg);
  }
  .bubble a {
    color: inherit;
    text-decoration: underline;
  }
  .deleted {
    font-style: italic;
    opacity: 0.85;
  }
  .quote {
    margin: 0 0 0.35em;
    padding: 0.2em 0.6em;
    border-left: 3px solid currentColor;
    border-radius: 4px;
    background: color-mix(in srgb, currentColor 10%, transparent);
    font-size: 0.88em;
    white-space: normal;
  }
  .quote b {
    display: block;
    font-size: 0.9em;
  }
  .meta {
    float: right;
    display: inline-flex;
    align-items: center;
    margin: 0.35em 0 -0.2em 0.75em;
    font-size: 0.72em;
    white-space: nowrap;
  }
  .tick {
    display: inline-flex;
    align-items: center;
    margin-left: 0.35em;
    padding: 0.05em 0.2em;
    border-radius: 999px;
  }
  .tick .icon {
    width: 1.35em;
    height: 1.35em;
  }
  /* Read is the inverse of delivered (a filled badge), so the two differ by shape and brightness, not by hue. */
  .tick[data-status='read'] {
    background: var(--_tick-read);
    color: var(--_bubble-mine);
  }
  .failed {
    display: flex;
    align-items: center;
    gap: 0.5em;
    font-size: 0.8em;
    color: var(--_danger);
    margin: 0.2em 0.4em;
  }
  .failed button {
    border: 1px solid currentColor;
    background: transparent;
    color: inherit;
    border-radius: 6px;
    padding: 0 0.5em;
    cursor: pointer;
  }
  .reactions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.3em;
    margin: 0.2em 0.3em 0;
  }
  .reaction {
    border: 1px solid var(--_border);
    background: var(--_surface);
    border-radius: 999px;
    padding: 0 0.5em;
    font-size: 0.85em;
    cursor: pointer;
  }
  .reaction {
    position: relative;
  }
  .reaction[aria-pressed='true'] {
    border-color: var(--_accent);
    box-shadow: inset 0 0 0 1px var(--_accent);
  }
  /* Who reacted: shown on hover, and on focus (keyboard, and a tap on touch screens focuses the button). */
  .reaction .who {
    display: none;
    position: absolute;
    bottom: calc(100% + 4px);
    left: 0;
    z-index: 3;
    padding: 0.2em 0.5em;
    border-radius: 6px;
    background: var(--_fg);
    color: var(--_bg);
    font-size: 0.85em;
    white-space: nowrap;
  }
  .reaction:hover .who,
  .reaction:focus .who {
    display: block;
  }
  .actions {
    /* Beside the bubble it acts on (right of others' messages, left of one's own), never over other rows. */
    flex: none;
    display: flex;
    align-items: center;
    gap: 0.1em;
    padding: 0.1em;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_bg);
    visibility: hidden;
  }
  .msg:hover .actions,
  .msg:focus-within .actions,
  .msg[data-active] .actions {
    visibility: visible;
  }
  .actions .separator {
    width: 1px;
    align-self: stretch;
    margin: 0.15em 0.2em;
    background: var(--_border);
  }
  .actions .delete:hover {
    color: var(--_danger);
  }
  .undo {
    display: flex;
    align-items: center;
    gap: 0.5em;
    margin: 0.2em 0.4em;
    font-size: 0.8em;
    color: var(--_muted);
  }
  .undo button {
    border: 1px solid var(--_border);
    background: var(--_bg);
    border-radius: 6px;
    padding: 0 0.6em;
    font-weight: 600;
    cursor: pointer;
  }
  .counter {
    margin: 0.2em 0.9em 0;
    font-size: 0.8em;
    color: var(--_muted);
    text-align: right;
  }
  .counter[data-over] {
    color: var(--_danger);
    font-weight: 600;
  }
  @media (hover: none) {
    /* Touch screens: only the tapped message shows its actions (a tap focuses it). */
    .msg:hover:not(:focus-within):not([data-active]) .actions {
      visibility: hidden;
    }
  }
  /* Narrow (a phone): no room is kept beside every bubble; the tapped or focused message shows its actions on
     a line of their own under the bubble, never over its text. */
  @container history (max-width: 480px) {
    .line {
      flex-direction: column;
      align-items: flex-start;
    }
    .mine .line {
      flex-direction: column;
      align-items: flex-end;
    }
    .actions {
      display: none;
    }
    .msg:focus-within .actions,
    .msg[data-active] .actions {
      display: flex;
    }
    .bubble {
      max-width: 88%;
    }
  }
  .actions button,
  .picker button {
    border: 0;
    background: transparent;
    border-radius: 6px;
    padding: 0.1em 0.4em;
    cursor: pointer;
    font-size: 0.9em;
    line-height: 1.4;
  }
  .actions button:hover,
  .picker button:hover {
    background: var(--_surface);
  }
  .picker {
    display: flex;
    gap: 0.1em;
    margin: 0.2em 0.3em 0;
    padding: 0.15em;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_bg);
  }
  .jump {
    position: absolute;
    right: 1em;
    bottom: 6.5em;
    border: 1px solid var(--_border);
    border-radius: 999px;
    background: var(--_accent);
    color: var(--_accent-fg);
    padding: 0.35em 0.9em;
    cursor: pointer;
    box-shadow: 0 2px 8px rgb(0 0 0 / 0.2);
    z-index: 2;
  }
  .typing {
    min-height: 1.4em;
    padding: 0 1em;
    font-size: 0.8em;
    font-style: italic;
    color: var(--_muted);
  }
  .context {
    display: flex;
    align-items: center;
    gap: 0.5em;
    margin: 0 0.6em;
    padding: 0.35em 0.6em;
    border-left: 3px solid var(--_accent);
    background: var(--_surface);
    border-radius: 6px;
    font-size: 0.85em;
    min-width: 0;
  }
  .context span {
    flex: 1;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .context button {
    border: 0;
    background: transparent;
    cursor: pointer;
    font-size: 1.1em;
  }
  .error {
    display: flex;
    align-items: flex-start;
    gap: 0.5em;
    margin: 0.2em 0.9em 0;
    color: var(--_danger);
    font-size: 0.85em;
  }
  .composer {
    display: flex;
    align-items: flex-end;
    gap: 0.5em;
    padding: 0.5em 0.6em 0.6em;
  }
  .input {
    flex: 1;
    min-width: 0;
    resize: none;
    field-sizing: content;
    min-height: 1.35em;
    max-height: 8em;
    padding: 0.5em 0.8em;
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) * 0.8);
    background: var(--_bg);
    line-height: 1.35;
    overflow-wrap: anywhere;
  }
  .input:focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 0;
  }
  .send {
    border: 0;
    border-radius: calc(var(--_radius) * 0.8);
    background: var(--_accent);
    color: var(--_accent-fg);
    padding: 0.55em 1.1em;
    font-weight: 600;
    cursor: pointer;
  }
  .send:disabled,
  .input:disabled {
    opacity: 0.6;
    cursor: not-allowed;
  }
`;
