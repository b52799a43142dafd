// Limits of the blob store (per file, per user, per room) and their defaults; set through relay options and flags.
import { DEFAULT_MAX_FILE_BYTES } from '../../shared/attachments.js';

export interface BlobLimits {
  /** Largest file, in bytes (default 25 MiB). Larger uploads are refused with 413. */
  maxFileBytes: number;
  /** Bytes one user's uploads may occupy across rooms, counting uploads in progress (default 1 GiB); then 429. */
  userQuotaBytes: number;
  /** Bytes one room's blobs may occupy, counting uploads in progress (default 2 GiB); then 429. */
  roomQuotaBytes: number;
  /** Uploads one user may have in progress at once (default 32); then 429. */
  uploadsPerUser: number;
  /** Lifetime of a signed blob URL, in seconds (default 600). */
  urlTtlSeconds: number;
  /** A blob no message refers to is collected once it is older than this (default one day), at once if a message referred to it before. */
  unreferencedGraceMs: number;
  /** How often the collector runs (default hourly). */
  gcIntervalMs: number;
  /** An upload nobody appended to for this long is dropped (default one day). */
  uploadIdleMs: number;
}

export const DEFAULT_BLOB_LIMITS: BlobLimits = {
  maxFileBytes: DEFAULT_MAX_FILE_BYTES,
  userQuotaBytes: 1024 ** 3,
  roomQuotaBytes: 2 * 1024 ** 3,
  uploadsPerUser: 32,
  urlTtlSeconds: 600,
  unreferencedGraceMs: 24 * 3600_000,
  gcIntervalMs: 3600_000,
  uploadIdleMs: 24 * 3600_000,
};

/** Defaults applied; throws a plain Error naming the bad field (options.ts wraps it). */
export const resolveBlobLimits = (input: Partial<BlobLimits> = {}): BlobLimits => {
  const limits = { ...DEFAULT_BLOB_LIMITS, ...input };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`blobs.${name} must be an integer ≥ 1 (got ${String(value)})`);
  }
  return limits;
};
