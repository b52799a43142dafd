// Renders a message's attachments in <chat-room>: image previews sized before they load, file chips with a download link, upload progress.
import { html, nothing, type TemplateResult } from 'lit';
import { isInlineImage, type Attachment } from '../../../shared/attachments.js';
import type { MessageView } from '../../index.js';
import { icon, type IconName } from '../shared/icons.js';

/** What the list needs from the element: links, local previews, progress, and what a click does. */
export interface AttachmentListContext {
  /** A signed link to a blob, or undefined until it arrives. */
  link(blobId: string, name?: string): string | undefined;
  /** Object URLs of a queued message's local files, by attachment index. */
  localUrls(messageId: string): (string | undefined)[] | undefined;
  /** Upload progress (0–1) of a queued message. */
  progress(messageId: string): number | undefined;
  open(message: MessageView, index: number): void;
  /** Tab index of interactive parts (0 on the focused message, else -1). */
  tab: number;
}

/** Largest preview box, in CSS pixels (one image; several share the width). */
const BOX = { single: 280, several: 150 };

/** The displayed size of an image: scaled into the box, never up. Known before anything loads. */
export const fitted = (width: number, height: number, box: number): { width: number; height: number } => {
  const scale = Math.min(1, box / width, box / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
};

/** Human file sizes: 512 B, 14 KB, 3.2 MB. */
export const fileSize = (bytes: number): string => {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
};

/** An icon for a file type (decorative: the chip names the file and its type; SVG, so no emoji font is needed). */
export const typeIcon = (type: string): IconName => (type.startsWith('image/') ? 'image' : 'file');

/** Short type label for a chip: "PDF", "PNG", or the subtype. */
const typeLabel = (attachment: Attachment): string => {
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(attachment.name)?.[1];
  if (attachment.type === 'application/octet-stream') return ext ? ext.toUpperCase() : 'File';
  return (attachment.type.split('/')[1] ?? 'file').replace(/^x-/, '').split(/[.+]/).at(-1)!.toUpperCase();
};

/** Whether an attachment shows as an image (an inline type with known dimensions). */
export const isShownAsImage = (a: Attachment): boolean => isInlineImage(a.type) && a.width !== undefined && a.height !== undefined;

/** The attachments block of one message (nothing for a message without any). */
export function renderAttachments(message: MessageView, ctx: AttachmentListContext): TemplateResult | typeof nothing {
  const attachments = message.attachments;
  if (!attachments || attachments.length === 0 || message.deleted) return nothing;
  const images = attachments.filter(isShownAsImage);
  const box = images.length > 1 ? BOX.several : BOX.single;
  const local = message.queued ? ctx.localUrls(message.id) : undefined;
  const progress = message.queued && message.status !== 'failed' ? ctx.progress(message.id) : undefined;
  return html`<div class="attachments" part="attachments">
    ${attachments.map((a, index) => {
      if (!isShownAsImage(a)) return nothing;
      const size = fitted(a.width!, a.height!, box);
      const src = local?.[index] ?? (message.queued ? undefined : ctx.link(a.preview ?? a.blob));
      return html`<button
        type="button"
        class="image"
        part="attachment-image"
        tabindex=${ctx.tab}
        aria-label=${`Open image ${a.name}`}
        style=${`width:${size.width}px;height:${size.height}px`}
        @click=${() => ctx.open(message, index)}
      >${src
        ? html`<img src=${src} alt=${a.name} width=${size.width} height=${size.height} loading="lazy" decoding="async" />`
        : html`<span class="image-placeholder" aria-hidden="true"></span>`}</button>`;
    })}
    ${attachments.map((a, index) => {
      if (isShownAsImage(a)) return nothing;
      const href = message.queued ? undefined : ctx.link(a.blob, a.name);
      // The visible text is the accessible name (name, type, size); "Download" is added for screen readers only.
      const body = html`<span class="file-icon" aria-hidden="true">${icon(typeIcon(a.type))}</span><span class="file-name"
          >${href ? html`<span class="visually-hidden">Download </span>` : nothing}${a.name}</span
        ><span class="file-meta">${typeLabel(a)} · ${fileSize(a.size)}</span>`;
      return href
        ? html`<a class="file" part="attachment-file" href=${href} download=${a.name} target="_blank" rel="noopener noreferrer" tabindex=${ctx.tab} title=${`Download ${a.name}`} data-index=${index}>${body}</a>`
        : html`<span class="file" part="attachment-file" data-index=${index}>${body}</span>`;
    })}
    ${progress !== undefined
      ? html`<progress class="upload" part="upload-progress" max="1" .value=${progress} aria-label="Uploading files"></progress>`
      : nothing}
  </div>`;
}
