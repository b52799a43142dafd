// Attachments: the record of a file attached to a message, its bounds, and the checks the rules and the relay's guard use.
import { ensure } from './errors.js';

/**
 * One attached file, as stored in a message record (`attachments: Attachment[]`, at most 10):
 *
 * | field     | meaning                                                                              |
 * |-----------|--------------------------------------------------------------------------------------|
 * | `blob`    | the blob's id: lower-case hex SHA-256 of its bytes, computed by the relay on upload    |
 * | `name`    | the file name the sender chose (display only; never a path)                           |
 * | `type`    | the media type the relay sniffed from the bytes (`application/octet-stream` if unknown) |
 * | `size`    | bytes                                                                                 |
 * | `width`, `height` | pixels, for images (so the history lays out before anything loads)            |
 * | `preview` | blob id of a small preview image made on the sender's device (images only)           |
 *
 * Every blob id must name a blob stored for the same conversation: the relay refuses a message that
 * refers to any other (see `checkAttachmentBlobs`).
 */
export interface Attachment {
  blob: string;
  name: string;
  type: string;
  size: number;
  width?: number;
  height?: number;
  preview?: string;
}

export const ATTACHMENT_FIELDS: ReadonlySet<string> = new Set(['blob', 'name', 'type', 'size', 'width', 'height', 'preview']);

export const ATTACHMENT_LIMITS = {
  /** Files per message. */
  count: 10,
  /** Longest file name, in UTF-16 code units. */
  name: 256,
  /** Largest size a record may state (the relay's per-file limit is lower and configurable: 25 MiB by default). */
  size: 2 ** 40,
  /** Largest width or height of an image, in pixels. */
  dimension: 65_535,
  /** Longest media type. */
  type: 127,
} as const;

/** Default per-file upload limit of the relay. */
export const DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024;

/** Image types a browser may show inline from the relay: raster formats that cannot run script (no SVG). */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']);

const BLOB_ID = /^[0-9a-f]{64}$/;
const MEDIA_TYPE = /^[a-z0-9][\w.+-]*\/[\w.+-]+$/;

/** Whether `id` is a well-formed blob id (lower-case hex SHA-256): safe as a file name. */
export const isBlobId = (id: unknown): id is string => typeof id === 'string' && BLOB_ID.test(id);

/** Whether a blob of this (sniffed) type is shown inline; everything else is only ever downloaded. */
export const isInlineImage = (type: string): boolean => INLINE_IMAGE_TYPES.has(type);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

const isCount = (value: unknown, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;

/** The shape of a message's attachment list: at most 10 well-formed entries with known fields only. */
export function checkAttachmentList(value: unknown): asserts value is Attachment[] {
  ensure(Array.isArray(value) && value.length <= ATTACHMENT_LIMITS.count, 'bad-attachments', `at most ${ATTACHMENT_LIMITS.count}`);
  for (const item of value) {
    ensure(isPlainObject(item), 'bad-attachments', 'each attachment is an object');
    for (const key of Object.keys(item)) ensure(ATTACHMENT_FIELDS.has(key), 'unknown-field', `attachment ${key}`);
    ensure(isBlobId(item.blob), 'bad-attachments', 'blob must be a SHA-256 hex id');
    ensure(
      typeof item.name === 'string' && item.name.trim().length > 0 && item.name.length <= ATTACHMENT_LIMITS.name &&
        !/[\p{Cc}/\\]/u.test(item.name),
      'bad-attachments', `name: 1 to ${ATTACHMENT_LIMITS.name} characters, no control characters or slashes`,
    );
    ensure(typeof item.type === 'string' && item.type.length <= ATTACHMENT_LIMITS.type && MEDIA_TYPE.test(item.type), 'bad-attachments', 'type');
    ensure(isCount(item.size, ATTACHMENT_LIMITS.size), 'bad-attachments', 'size');
    const sized = item.width !== undefined || item.height !== undefined;
    if (sized) {
      ensure(
        isCount(item.width, ATTACHMENT_LIMITS.dimension) && isCount(item.height, ATTACHMENT_LIMITS.dimension),
        'bad-attachments', `width and height: both, whole numbers up to ${ATTACHMENT_LIMITS.dimension}`,
      );
    }
    if (item.preview !== undefined) ensure(isBlobId(item.preview), 'bad-attachments', 'preview must be a SHA-256 hex id');
  }
}

/** Every blob id an attachment list refers to (files and previews), without repeats. */
export const attachmentBlobIds = (attachments: readonly Attachment[]): string[] => {
  const ids = new Set<string>();
  for (const item of attachments) {
    ids.add(item.blob);
    if (item.preview !== undefined) ids.add(item.preview);
  }
  return [...ids];
};

/** The blobs stored for the conversation being written (the relay answers from its blob store). */
export interface BlobLookup {
  /** Size and sniffed type of a stored blob, or undefined when the conversation has no such blob. */
  describe(id: string): { size: number; type: string } | undefined;
}

/**
 * Every blob an attachment list refers to is stored for this conversation, and each entry states the size and
 * type the relay found (so `type` really is the sniffed type); a preview is an inline image.
 */
export function checkAttachmentBlobs(attachments: readonly Attachment[], blobs: BlobLookup): void {
  for (const item of attachments) {
    const file = blobs.describe(item.blob);
    ensure(file !== undefined, 'unknown-blob', item.blob);
    ensure(file.size === item.size && file.type === item.type, 'attachment-mismatch', `${item.name}: stored as ${file.type}, ${file.size} bytes`);
    if (item.preview === undefined) continue;
    const preview = blobs.describe(item.preview);
    ensure(preview !== undefined, 'unknown-blob', item.preview);
    ensure(isInlineImage(preview.type), 'attachment-mismatch', `${item.name}: the preview is not an image`);
  }
}
