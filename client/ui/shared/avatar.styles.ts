// The avatar with its presence dot, shared by <chat-room> (people in the header) and <chat-app> (the signed-in user).
import { css } from 'lit';

/** `.avatar` (add `.small` for the header size) with a `.dot[data-presence]` inside; colours come from the theme tokens. */
export const avatarStyles = css`
  .avatar {
    position: relative;
    flex: none;
    display: inline-grid;
    place-items: center;
    width: 2.4em;
    height: 2.4em;
    border-radius: 50%;
    background: var(--_avatar-bg);
    color: var(--_avatar-fg);
    font-weight: 700;
  }
  .avatar.small {
    width: 1.9em;
    height: 1.9em;
    font-size: 0.8em;
    font-weight: 600;
    background: var(--_bubble);
    color: var(--_bubble-fg);
    box-shadow: 0 0 0 1px var(--_border);
  }
  .dot {
    position: absolute;
    right: -1px;
    bottom: -1px;
    width: 0.65em;
    height: 0.65em;
    border-radius: 50%;
    border: 2px solid var(--_surface);
    background: var(--_presence-online);
  }
  .dot[data-presence='away'] {
    background: var(--_presence-away);
  }
  .dot[data-presence='busy'] {
    background: var(--_presence-busy);
  }
  .dot[data-presence='offline'] {
    background: var(--_muted);
  }
`;
