// The --parley-* design tokens: light and dark defaults, following prefers-color-scheme unless theme="light|dark" says otherwise.
import { css, unsafeCSS } from 'lit';

// Internal defaults (--_d-*); the public --parley-* properties, when set by the page, win over them.
const light = `
  --_d-bg: #ffffff;
  --_d-surface: #f3f4f6;
  --_d-fg: #16181d;
  --_d-muted: #5b6270;
  --_d-border: #d9dce3;
  --_d-accent: #2557d6;
  --_d-accent-fg: #ffffff;
  --_d-bubble: #eef0f4;
  --_d-bubble-fg: #16181d;
  --_d-bubble-mine: #2557d6;
  --_d-bubble-mine-fg: #ffffff;
  --_d-danger: #b42318;
  --_d-banner-bg: #fff4d6;
  --_d-banner-fg: #5c3d00;
  --_d-unread: #c2410c;
  --_d-presence-online: #2e9d57;
  --_d-presence-away: #c9a227;
  --_d-presence-busy: #d64545;
  --_d-online-fg: #1f7a43;
  --_d-mention-bg: #dbe6ff;
  --_d-mention-fg: #1c3d91;
  --_d-mention-self-bg: #ffe08a;
  --_d-mention-self-fg: #3d2a00;
`;

const dark = `
  --_d-bg: #15171c;
  --_d-surface: #1e2128;
  --_d-fg: #e8eaef;
  --_d-muted: #a2a9b8;
  --_d-border: #343844;
  --_d-accent: #8ab4ff;
  --_d-accent-fg: #0b1020;
  --_d-bubble: #262a33;
  --_d-bubble-fg: #e8eaef;
  --_d-bubble-mine: #2f4f93;
  --_d-bubble-mine-fg: #ffffff;
  --_d-danger: #ff8a80;
  --_d-banner-bg: #3b3014;
  --_d-banner-fg: #ffe3a3;
  --_d-unread: #fdba74;
  --_d-presence-online: #3fb96b;
  --_d-presence-away: #d9b43a;
  --_d-presence-busy: #ef6161;
  --_d-online-fg: #6fd596;
  --_d-mention-bg: #263a66;
  --_d-mention-fg: #d3e0ff;
  --_d-mention-self-bg: #6b4e00;
  --_d-mention-self-fg: #fff1c2;
`;

/** Declares the tokens on :host; include first in a component's `static styles`. */
export const themeStyles = css`
  :host {
    ${unsafeCSS(light)}
    color-scheme: light;
    --_bg: var(--parley-bg, var(--_d-bg));
    --_surface: var(--parley-surface, var(--_d-surface));
    --_fg: var(--parley-fg, var(--_d-fg));
    --_muted: var(--parley-muted, var(--_d-muted));
    --_border: var(--parley-border, var(--_d-border));
    --_accent: var(--parley-accent, var(--_d-accent));
    --_accent-fg: var(--parley-accent-fg, var(--_d-accent-fg));
    --_bubble: var(--parley-bubble-bg, var(--_d-bubble));
    --_bubble-fg: var(--parley-bubble-fg, var(--_d-bubble-fg));
    --_bubble-mine: var(--parley-bubble-mine-bg, var(--_d-bubble-mine));
    --_bubble-mine-fg: var(--parley-bubble-mine-fg, var(--_d-bubble-mine-fg));
    --_danger: var(--parley-danger, var(--_d-danger));
    --_banner-bg: var(--parley-banner-bg, var(--_d-banner-bg));
    --_banner-fg: var(--parley-banner-fg, var(--_d-banner-fg));
    --_unread: var(--parley-unread, var(--_d-unread));
    --_tick-read: var(--parley-tick-read, var(--_bubble-mine-fg));
    --_presence-online: var(--parley-presence-online, var(--_d-presence-online));
    --_presence-away: var(--parley-presence-away, var(--_d-presence-away));
    --_presence-busy: var(--parley-presence-busy, var(--_d-presence-busy));
    --_online-fg: var(--parley-online-fg, var(--_d-online-fg));
    --_mention-bg: var(--parley-mention-bg, var(--_d-mention-bg));
    --_mention-fg: var(--parley-mention-fg, var(--_d-mention-fg));
    --_mention-self-bg: var(--parley-mention-self-bg, var(--_d-mention-self-bg));
    --_mention-self-fg: var(--parley-mention-self-fg, var(--_d-mention-self-fg));
    --_avatar-bg: var(--parley-avatar-bg, var(--_accent));
    --_avatar-fg: var(--parley-avatar-fg, var(--_accent-fg));
    --_radius: var(--parley-radius, 14px);
    --_font: var(--parley-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    --_font-size: var(--parley-font-size, 15px);
    --_focus: var(--parley-focus, var(--_accent));
    font-family: var(--_font);
    font-size: var(--_font-size);
    color: var(--_fg);
  }
  @media (prefers-color-scheme: dark) {
    :host(:not([theme='light'])) {
      ${unsafeCSS(dark)}
      color-scheme: dark;
    }
  }
  :host([theme='dark']) {
    ${unsafeCSS(dark)}
    color-scheme: dark;
  }
  button, input, textarea, select {
    font: inherit;
    color: inherit;
  }
  .icon {
    width: 1.15em;
    height: 1.15em;
    vertical-align: -0.2em;
    flex: none;
  }
  :focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 2px;
  }
  .visually-hidden {
    position: absolute !important;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
`;
