// Layout and look of <chat-app>: a sidebar (profile, rooms) and the room view; one column on narrow screens.
import { css } from 'lit';

export const chatAppStyles = css`
  :host {
    display: block;
    height: 100%;
    background: var(--_bg);
  }
  .signin {
    display: grid;
    place-items: center;
    height: 100%;
    padding: 1em;
    box-sizing: border-box;
  }
  .signin form {
    display: flex;
    flex-direction: column;
    gap: 0.6em;
    width: min(24em, 100%);
    padding: 2em;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  .signin h1 {
    margin: 0;
    font-size: 1.6em;
  }
  .signin p {
    margin: 0;
    color: var(--_muted);
  }
  .signin label {
    font-weight: 600;
    margin-top: 0.6em;
  }
  input,
  select {
    padding: 0.5em 0.7em;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_bg);
    min-width: 0;
  }
  button {
    border: 0;
    border-radius: 8px;
    padding: 0.5em 0.9em;
    background: var(--_accent);
    color: var(--_accent-fg);
    font-weight: 600;
    cursor: pointer;
  }
  button.secondary {
    background: transparent;
    color: var(--_fg);
    border: 1px solid var(--_border);
    font-weight: 500;
  }
  button:disabled {
    opacity: 0.6;
    cursor: progress;
  }
  .error {
    /* Never shrunk by the list below it: a two-line error stays readable. */
    flex: none;
    display: flex;
    gap: 0.4em;
    align-items: flex-start;
    color: var(--_danger);
    margin: 0.3em 0.9em;
    font-size: 0.9em;
    font-weight: 600;
  }
  .signin p.error {
    margin: 0;
    color: var(--_danger);
  }
  .notice {
    margin: 0;
    font-size: 0.85em;
    color: var(--_fg);
  }
  .unsent {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4em;
  }
  .unsent p {
    margin: 0;
    font-size: 0.88em;
    font-weight: 600;
    color: var(--_danger);
  }
  button.danger {
    background: var(--_danger);
    color: var(--_bg);
  }
  .logo {
    color: var(--_accent);
  }
  .logo .icon {
    width: 1.1em;
    height: 1.1em;
  }
  .hint {
    font-size: 0.85em;
  }
  .app {
    display: grid;
    grid-template-columns: minmax(16em, 20em) 1fr;
    height: 100%;
  }
  .sidebar {
    display: flex;
    flex-direction: column;
    min-height: 0;
    border-right: 1px solid var(--_border);
    background: var(--_surface);
  }
  .me {
    display: flex;
    align-items: center;
    gap: 0.6em;
    padding: 0.8em;
    border-bottom: 1px solid var(--_border);
  }
  .who {
    flex: 1;
    min-width: 0;
    display: flex;
    flex-direction: column;
    gap: 0.3em;
  }
  .who .name {
    font-weight: 600;
    border-color: transparent;
    background: transparent;
    padding: 0.15em 0.3em;
  }
  .who .name:hover,
  .who .name:focus {
    border-color: var(--_border);
    background: var(--_bg);
  }
  .presence-row {
    display: flex;
    gap: 0.3em;
    font-size: 0.85em;
  }
  .presence-row select,
  .presence-row input {
    padding: 0.25em 0.4em;
  }
  .status-text {
    flex: 1;
  }
  .offline {
    flex: none;
    padding: 0.15em 0.6em;
    border-radius: 999px;
    background: var(--_banner-bg);
    color: var(--_banner-fg);
    font-size: 0.8em;
    font-weight: 600;
  }
  .join {
    display: flex;
    gap: 0.4em;
    padding: 0.7em 0.8em;
  }
  .join input {
    flex: 1;
  }
  nav {
    flex: 1;
    min-height: 0;
    overflow-y: auto;
  }
  nav[hidden] {
    display: none;
  }
  .search-open {
    display: flex;
    align-items: center;
    gap: 0.5em;
    margin: 0.7em 0.8em 0;
    padding: 0.45em 0.8em;
    border: 1px solid var(--_border);
    border-radius: 999px;
    background: var(--_bg);
    color: var(--_muted);
    cursor: pointer;
    text-align: left;
  }
  .search-open kbd {
    margin-left: auto;
    font-size: 0.8em;
  }
  .app-search {
    flex: 1;
    min-height: 0;
  }
  .empty {
    color: var(--_muted);
    padding: 0 1em;
    font-size: 0.9em;
  }
  .rooms {
    list-style: none;
    margin: 0;
    padding: 0 0.4em;
  }
  .room-item {
    display: flex;
    align-items: stretch;
    gap: 0.2em;
  }
  .room {
    flex: 1;
    min-width: 0;
    display: flex;
    flex-direction: column;
    gap: 0.2em;
    text-align: left;
    background: transparent;
    color: var(--_fg);
    font-weight: 400;
    padding: 0.55em 0.6em;
    margin: 0.1em 0;
  }
  .room:hover {
    background: color-mix(in srgb, var(--_fg) 6%, transparent);
  }
  .room[aria-current='true'] {
    background: color-mix(in srgb, var(--_accent) 16%, transparent);
  }
  .room[aria-current='true'] .preview,
  .room[aria-current='true'] .when {
    /* The tinted background lowers contrast: the selected row's secondary text uses the main colour. */
    color: var(--_fg);
  }
  .room-line {
    display: flex;
    align-items: center;
    gap: 0.4em;
    min-width: 0;
  }
  .room-title {
    flex: 1;
    min-width: 0;
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .online {
    color: var(--_online-fg);
    font-size: 0.8em;
    white-space: nowrap;
  }
  .online-dot {
    display: inline-block;
    width: 0.6em;
    height: 0.6em;
    border-radius: 50%;
    background: var(--_presence-online);
  }
  .when {
    color: var(--_muted);
    font-size: 0.78em;
  }
  .preview {
    flex: 1;
    min-width: 0;
    color: var(--_muted);
    font-size: 0.88em;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .badge {
    flex: none;
    min-width: 1.5em;
    padding: 0 0.4em;
    border-radius: 999px;
    background: var(--_accent);
    color: var(--_accent-fg);
    font-size: 0.78em;
    font-weight: 700;
    text-align: center;
  }
  .badge[data-muted] {
    background: transparent;
    color: var(--_muted);
    box-shadow: inset 0 0 0 1px var(--_muted);
  }
  .mute,
  .pin,
  .archive {
    background: transparent;
    color: var(--_fg);
    padding: 0 0.4em;
    opacity: 0.7;
  }
  .mute[aria-pressed='true'] {
    opacity: 1;
  }
  .foot {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4em;
    padding: 0.7em 0.8em;
    border-top: 1px solid var(--_border);
  }
  .main {
    min-width: 0;
    min-height: 0;
    display: flex;
    position: relative;
  }
  .panel {
    display: flex;
    flex-direction: column;
    gap: 0.5em;
    padding: 0.8em;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  .panel h2 {
    margin: 0;
    font-size: 1.05em;
  }
  .panel label {
    display: flex;
    flex-direction: column;
    gap: 0.2em;
  }
  .panel label.inline {
    flex-direction: row;
    align-items: center;
  }
  .panel .actions,
  .panel .rename,
  .panel .add-member {
    display: flex;
    gap: 0.4em;
  }
  .new-conversation {
    margin: 0 0.8em 0.6em;
  }
  .new-conversation fieldset {
    border: 0;
    padding: 0;
    margin: 0;
    display: flex;
    gap: 0.8em;
    flex-wrap: wrap;
  }
  .members.panel,
  .notify-settings.panel {
    position: absolute;
    top: 3.2em;
    right: 0.5em;
    width: min(24em, calc(100% - 1em));
    max-height: calc(100% - 4em);
    overflow: auto;
    z-index: 5;
    box-shadow: 0 4px 18px rgb(0 0 0 / 0.18);
  }
  .member-list,
  .invites ul {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-direction: column;
    gap: 0.4em;
  }
  .member {
    display: flex;
    align-items: center;
    gap: 0.5em;
  }
  .member-who {
    display: flex;
    flex-direction: column;
    flex: 1;
    min-width: 0;
  }
  .member-meta,
  .room-detail {
    color: var(--_muted);
    font-size: 0.85em;
    font-weight: 400;
  }
  .archived-toggle {
    margin: 0.4em 0.8em;
  }
  .main chat-room {
    flex: 1;
    height: auto;
    border: 0;
    border-radius: 0;
  }
  .room-header {
    display: flex;
    align-items: center;
    gap: 0.5em;
    font-weight: 600;
    min-width: 0;
  }
  .room-name {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .back {
    display: none;
    background: transparent;
    color: inherit;
    padding: 0 0.4em;
  }
  .welcome {
    flex: 1;
    display: grid;
    place-items: center;
    color: var(--_muted);
    padding: 2em;
    text-align: center;
  }
  @media (max-width: 720px) {
    .app {
      grid-template-columns: 1fr;
    }
    .app[data-room-open] .sidebar {
      display: none;
    }
    .app:not([data-room-open]) .main {
      display: none;
    }
    .back {
      display: inline-block;
    }
  }
`;
