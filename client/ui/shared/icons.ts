// Inline SVG icons for UI glyphs (no emoji font needed); each is labelled for assistive tech or hidden when a label sits elsewhere.
import { svg, html, type TemplateResult, type SVGTemplateResult } from 'lit';

const PATHS = {
  /** A clock: the message is waiting to be sent. */
  clock: svg`<circle cx="12" cy="12" r="8.5" fill="none" stroke="currentColor" stroke-width="2"/><path d="M12 7v5.2l3.4 2" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>`,
  check: svg`<path d="M4.5 12.5l4.5 4.5 10.5-10.5" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/>`,
  checks: svg`<path d="M1.5 12.5l4.5 4.5 10.5-10.5M11 16.2l.8.8 10.5-10.5" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/>`,
  warning: svg`<path d="M12 3.5l9.5 17h-19z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/><path d="M12 10v4.5" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"/><circle cx="12" cy="17.6" r="1.3" fill="currentColor"/>`,
  reply: svg`<path d="M10 6L4 12l6 6M4.5 12H14a6 6 0 0 1 6 6v1" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>`,
  smile: svg`<circle cx="12" cy="12" r="8.5" fill="none" stroke="currentColor" stroke-width="2"/><path d="M8.3 14a4.3 4.3 0 0 0 7.4 0" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/><circle cx="9" cy="9.8" r="1.2" fill="currentColor"/><circle cx="15" cy="9.8" r="1.2" fill="currentColor"/>`,
  edit: svg`<path d="M4 20h4L19 9l-4-4L4 16z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/><path d="M13.5 6.5l4 4" stroke="currentColor" stroke-width="2"/>`,
  trash: svg`<path d="M4 7h16M9.5 7V4.5h5V7M6.5 7l1 13h9l1-13M10 11v5.5M14 11v5.5" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>`,
  close: svg`<path d="M6 6l12 12M18 6L6 18" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"/>`,
  back: svg`<path d="M15 5l-7 7 7 7" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/>`,
  bell: svg`<path d="M6 16.5V11a6 6 0 0 1 12 0v5.5l1.5 1.5h-15zM10 20.5a2 2 0 0 0 4 0" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/>`,
  bellOff: svg`<path d="M6 16.5V11a6 6 0 0 1 9.5-4.9M18 10.5v6l1.5 1.5h-15M10 20.5a2 2 0 0 0 4 0M3.5 3.5l17 17" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>`,
  people: svg`<circle cx="9" cy="8.5" r="3.5" fill="none" stroke="currentColor" stroke-width="2"/><path d="M2.5 20a6.5 6.5 0 0 1 13 0M16 5.2a3.5 3.5 0 0 1 0 6.6M18 14.2a6.5 6.5 0 0 1 3.5 5.8" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>`,
  down: svg`<path d="M12 5v14M6 13l6 6 6-6" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/>`,
  logo: svg`<path d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v9a2.5 2.5 0 0 1-2.5 2.5H10l-4.5 4v-4A1.5 1.5 0 0 1 4 15.5z" fill="currentColor"/><path d="M8 8.5h8M8 12h5" stroke="var(--_accent-fg, #fff)" stroke-width="1.8" stroke-linecap="round"/>`,
  /** Search: a magnifying glass. */
  search: svg`<circle cx="10.5" cy="10.5" r="6" fill="none" stroke="currentColor" stroke-width="2.2"/><path d="M15 15l5 5" stroke="currentColor" stroke-width="2.4" stroke-linecap="round"/>`,
  /** A thread: lines of a message with a reply branching off. */
  thread: svg`<path d="M5 5h14M5 10h9M9 14v2a3 3 0 0 0 3 3h7" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>`,
  /** A pin. */
  pin: svg`<path d="M9 3.5h6l-1 6 3.5 3.5h-11L10 9.5zM12 13v7.5" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>`,
} satisfies Record<string, SVGTemplateResult>;

export type IconName = keyof typeof PATHS;

/**
 * An icon as inline SVG. With `label` it is an image with that accessible name (`role="img"`); without, it is
 * decorative (`aria-hidden`), for buttons that carry their own label.
 */
export function icon(name: IconName, label?: string): TemplateResult {
  return label
    ? html`<svg class="icon" data-icon=${name} viewBox="0 0 24 24" role="img" aria-label=${label} focusable="false"><title>${label}</title>${PATHS[name]}</svg>`
    : html`<svg class="icon" data-icon=${name} viewBox="0 0 24 24" aria-hidden="true" focusable="false">${PATHS[name]}</svg>`;
}
