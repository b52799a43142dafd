// The top of <chat-room>: the header (title, people line, presence button), the members panel and the connection banner.
import { html, nothing, type TemplateResult } from 'lit';
import { removalOf } from '../../membership/roster.js';
import type { ConversationState } from '../../index.js';
import { initials } from '../shared/format.js';
import { icon } from '../shared/icons.js';
import { peopleSummary, personLine, type Person } from './people.js';
import { BANNER_TEXT, STATUS_LABEL, type RoomStatus } from './room-status.js';

export interface HeaderContext {
  state: ConversationState | undefined;
  /** The room name, the title when the room has none. */
  room: string | undefined;
  status: RoomStatus;
  members: readonly Person[];
  membersOpen: boolean;
  toggleMembers(): void;
  nameOf(userId: string): string;
  /** Extra header buttons (the search toggle), before the presence button. */
  actions?: TemplateResult | typeof nothing;
}

/** Title (or the `header` slot), the line about the other people, the presence button, the status for screen readers. */
export function renderHeader(ctx: HeaderContext): TemplateResult {
  const { state } = ctx;
  return html`<div class="header" part="header">
    <div class="heading">
      <slot name="header"><div class="title">${state?.meta.title || ctx.room || ''}</div></slot>
      ${state?.loaded ? html`<div class="subtitle" part="subtitle">${peopleSummary(ctx.members)}</div>` : nothing}
    </div>
    ${ctx.actions ?? nothing}
    ${renderPresence(ctx)}
    <span class="visually-hidden" part="status" data-status=${ctx.status} role="status">${STATUS_LABEL[ctx.status]}</span>
  </div>`;
}

function renderPresence(ctx: HeaderContext): TemplateResult | typeof nothing {
  const here = ctx.state?.presence ?? [];
  if (here.length === 0 && ctx.members.length === 0) return nothing;
  const shown = here.slice(0, 4);
  const label = here.map((p) => `${p.self ? 'You' : ctx.nameOf(p.id)} (${p.presence}${p.status ? `: ${p.status}` : ''})`).join(', ');
  return html`<button
    type="button"
    class="presence"
    part="presence"
    aria-expanded=${ctx.membersOpen ? 'true' : 'false'}
    aria-controls="members"
    @click=${() => ctx.toggleMembers()}
  >
    <span class="visually-hidden">People in this room. Here now: ${label || 'nobody'}</span>
    ${shown.map(
      (p) => html`<span class="avatar small" aria-hidden="true">${initials(ctx.nameOf(p.id)).slice(0, 1)}<span class="dot" data-presence=${p.presence}></span></span>`,
    )}
    ${here.length > shown.length ? html`<span aria-hidden="true">+${here.length - shown.length}</span>` : nothing}
    ${icon('people')}
  </button>`;
}

/** Everyone in the room with their presence, custom status or "last seen": visible without hovering. */
export function renderMembers(members: readonly Person[]): TemplateResult {
  return html`<div class="members" part="members" id="members" role="region" aria-label="Members">
    <ul>
      ${members.map(
        (p) => html`<li class="member" data-id=${p.id}>
          <span class="avatar small" aria-hidden="true">${initials(p.name).slice(0, 1)}${p.here ? html`<span class="dot" data-presence=${p.presence}></span>` : nothing}</span>
          <span class="member-name">${p.self ? `${p.name} (you)` : p.name}</span>
          <span class="member-line">${personLine(p)}</span>
        </li>`,
      )}
    </ul>
  </div>`;
}

/** The banner, only when something is wrong (or the device cannot store messages). */
export function renderBanner(state: ConversationState | undefined, status: RoomStatus, reconnect: () => void): TemplateResult | typeof nothing {
  // Removed or banned: the relay closed the room for this user; the history stays, read-only.
  let text = (state && removalOf(state)?.message) ?? BANNER_TEXT[status];
  const storage = state?.storage.status;
  if (!text && (storage === 'unavailable' || storage === 'failed')) text = 'This device cannot store messages right now: they are kept in memory only.';
  if (!text || status === 'loading') return nothing;
  const retry = status === 'offline' || status === 'auth-expired';
  return html`<div class="banner" part="banner" role="status" data-state=${status}>
    <span>${text}</span>
    ${retry ? html`<button type="button" @click=${reconnect}>Retry now</button>` : nothing}
  </div>`;
}
