// The image viewer of <chat-room>: one message's images full size, Esc to close, ← → to move between them.
import { html, nothing, type TemplateResult } from 'lit';
import type { Attachment } from '../../../shared/attachments.js';
import { icon } from '../shared/icons.js';
import { isShownAsImage } from './attachment-list.js';

/** Which image is open: a message and the index of one of its attachments. */
export interface ViewerState {
  messageId: string;
  index: number;
}

export interface ViewerContext {
  attachments: readonly Attachment[];
  state: ViewerState;
  link(blobId: string, name?: string): string | undefined;
  /** Local object URL of a queued message's file (its preview). */
  local: string | undefined;
  move(index: number): void;
  close(): void;
}

/** Index of the next (step 1) or previous (step -1) image of the message, wrapping around; undefined when there is none. */
export const stepImage = (attachments: readonly Attachment[], from: number, step: 1 | -1): number | undefined => {
  const n = attachments.length;
  for (let k = 1; k < n; k++) {
    const i = (((from + step * k) % n) + n) % n;
    if (isShownAsImage(attachments[i]!)) return i;
  }
  return undefined;
};

/** Keyboard of the viewer: Esc closes, arrows move. Returns whether the key was handled. */
export function viewerKey(event: KeyboardEvent, ctx: ViewerContext): boolean {
  if (event.key === 'Escape') {
    ctx.close();
    return true;
  }
  if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
    const next = stepImage(ctx.attachments, ctx.state.index, event.key === 'ArrowRight' ? 1 : -1);
    if (next !== undefined) ctx.move(next);
    return true;
  }
  return false;
}

/** The viewer is modal: Tab and Shift+Tab cycle through its own controls. */
function keepFocusInside(event: KeyboardEvent): void {
  const dialog = event.currentTarget as HTMLElement;
  const controls = [...dialog.querySelectorAll<HTMLElement>('button, a[href]')];
  if (controls.length === 0) return;
  const active = (dialog.getRootNode() as ShadowRoot).activeElement;
  const index = controls.indexOf(active as HTMLElement);
  const next = event.shiftKey ? (index <= 0 ? controls.length - 1 : index - 1) : (index + 1) % controls.length;
  event.preventDefault();
  controls[next]!.focus();
}

export function renderViewer(ctx: ViewerContext): TemplateResult | typeof nothing {
  const attachment = ctx.attachments[ctx.state.index];
  if (!attachment) return nothing;
  const src = ctx.link(attachment.blob) ?? ctx.local;
  const download = ctx.link(attachment.blob, attachment.name);
  const several = ctx.attachments.filter(isShownAsImage).length > 1;
  return html`<div
    class="viewer"
    part="attachment-viewer"
    role="dialog"
    aria-modal="true"
    aria-label=${`Image: ${attachment.name}`}
    tabindex="-1"
    @keydown=${(event: KeyboardEvent) => {
      if (event.key === 'Tab') keepFocusInside(event);
      else if (viewerKey(event, ctx)) {
        event.preventDefault();
        event.stopPropagation();
      }
    }}
    @click=${(event: MouseEvent) => {
      if (event.target === event.currentTarget) ctx.close();
    }}
  >
    ${src
      ? html`<img class="viewer-image" src=${src} alt=${attachment.name} width=${attachment.width ?? nothing} height=${attachment.height ?? nothing} />`
      : html`<span class="viewer-loading">Loading…</span>`}
    <div class="viewer-bar">
      <span class="viewer-name">${attachment.name}</span>
      ${several
        ? html`<button type="button" aria-label="Previous image" @click=${() => ctx.move(stepImage(ctx.attachments, ctx.state.index, -1) ?? ctx.state.index)}>‹</button>
            <button type="button" aria-label="Next image" @click=${() => ctx.move(stepImage(ctx.attachments, ctx.state.index, 1) ?? ctx.state.index)}>›</button>`
        : nothing}
      ${download ? html`<a href=${download} download=${attachment.name} target="_blank" rel="noopener noreferrer">Download</a>` : nothing}
      <button type="button" class="viewer-close" aria-label="Close" @click=${() => ctx.close()}>${icon('close')}</button>
    </div>
  </div>`;
}
