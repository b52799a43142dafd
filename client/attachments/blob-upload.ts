// Uploads one file to the relay's blob store: resumable PATCH chunks with progress, resumed from the relay's offset after a failure.
import { isBlobId } from '../../shared/attachments.js';

/** The relay's answer for a stored blob. */
export interface UploadedBlob {
  id: string;
  size: number;
  type: string;
  inline: boolean;
}

/**
 * A refused or failed upload. `retryable` is false for refusals that will not change by trying again
 * (too large, quota, not allowed, hash mismatch); the message is the relay's and can be shown as is.
 */
export class BlobUploadError extends Error {
  override name = 'BlobUploadError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface UploadOptions {
  /** Relay base URL (`http(s)://` or `ws(s)://host:port`). */
  relayUrl: string;
  room: string;
  /** Returns a token with write access to the room; `forceRefresh` after the relay refused one (401). */
  getToken: (forceRefresh: boolean) => Promise<string>;
  /** The bytes (a File, a Blob, or anything sliceable as a Blob). */
  file: Blob;
  /** SHA-256 hex of the bytes, if already known (see `sha256Hex`). */
  sha256?: string;
  /** Called with bytes the relay has, after each chunk. */
  onProgress?: (sent: number, total: number) => void;
  /** Bytes per PATCH request (default 2 MiB): the most that is sent again after a dropped connection. */
  chunkBytes?: number;
  /** Attempts after network errors before giving up (default 5; resumed each time where the relay stands). */
  attempts?: number;
  signal?: AbortSignal;
  /** An upload started earlier (say, before a reload) to continue, if the relay still has it. */
  resume?: string;
  /** Called with the upload's id once the relay created it (store it to `resume` after a reload). */
  onStarted?: (uploadId: string) => void;
  /** For tests: the fetch to use. */
  fetch?: typeof fetch;
}

/** The relay's HTTP origin, from a ws(s) or http(s) URL. */
export const relayHttpBase = (relayUrl: string): string => {
  const url = new URL(relayUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : url.protocol;
  return url.origin;
};

/** Hex SHA-256 of a blob (Web Crypto; the whole file is read once). */
export const sha256Hex = async (blob: Blob): Promise<string> => {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
};

const refusal = async (response: Response): Promise<BlobUploadError> => {
  let code = `http-${response.status}`;
  let message = `the relay answered ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not JSON (a proxy's page): keep the status.
  }
  const retryable = response.status >= 500 || response.status === 408 || (response.status === 429 && code === 'too-many-uploads') || code === 'upload-finishing' || code === 'upload-busy';
  return new BlobUploadError(code, message, response.status, retryable);
};

const wait = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });

/**
 * Uploads `file` and resolves with the stored blob. Network failures are retried from the offset the relay
 * reports (so a dropped connection costs at most one chunk); refusals reject with a `BlobUploadError`.
 */
export async function uploadBlob(options: UploadOptions): Promise<UploadedBlob> {
  const { file, room, signal } = options;
  const doFetch = options.fetch ?? fetch;
  const chunk = options.chunkBytes ?? 2 * 1024 * 1024;
  const base = `${relayHttpBase(options.relayUrl)}/blobs/${encodeURIComponent(room)}`;
  const sha256 = options.sha256 ?? (await sha256Hex(file));
  if (!isBlobId(sha256)) throw new BlobUploadError('bad-hash', 'sha256 must be 64 lower-case hex characters', 0, false);
  let refreshToken = false;
  const withToken = async (init: RequestInit): Promise<RequestInit> => ({
    ...init,
    ...(signal ? { signal } : {}),
    headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${await options.getToken(refreshToken)}` },
  });
  /** A request with the current token; a 401 (expired token) is retried once with a fresh one. */
  const send = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const response = await doFetch(url, await withToken(init));
    if (response.status !== 401 || refreshToken) return response;
    refreshToken = true;
    try {
      return await doFetch(url, await withToken(init));
    } finally {
      refreshToken = false;
    }
  };

  let attemptsLeft = options.attempts ?? 5;
  /** Runs `step`, retrying network errors and retryable refusals with a short backoff. */
  const withRetry = async <T>(step: () => Promise<T>): Promise<T> => {
    for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
      try {
        return await step();
      } catch (error) {
        if (signal?.aborted) throw error;
        const retryable = error instanceof BlobUploadError ? error.retryable : true;
        if (!retryable || attemptsLeft-- <= 0) throw error;
        await wait(delay, signal);
      }
    }
  };

  /** An earlier upload of this file the relay still has: continue it where it stands. */
  const resumed = options.resume && /^[0-9a-f]{32}$/.test(options.resume)
    ? await withRetry(async () => {
      const response = await send(`${base}/uploads/${options.resume}`);
      if (response.status === 404) return undefined;
      if (response.status !== 200) throw await refusal(response);
      const body = (await response.json()) as { offset: number; size: number };
      return body.size === file.size ? { id: options.resume!, offset: body.offset, size: body.size } : undefined;
    })
    : undefined;
  const created = resumed ? { upload: resumed } : await withRetry(async () => {
    const response = await send(`${base}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: file.size, sha256 }),
    });
    if (response.status !== 200 && response.status !== 201) throw await refusal(response);
    return (await response.json()) as { blob?: UploadedBlob; upload?: { id: string; offset: number; size: number } };
  });
  if (created.blob) {
    options.onProgress?.(file.size, file.size);
    return created.blob;
  }
  const uploadUrl = `${base}/uploads/${created.upload!.id}`;
  if (!resumed) options.onStarted?.(created.upload!.id);
  let offset = created.upload!.offset;
  if (offset > 0) options.onProgress?.(offset, file.size);
  /** Set after a failure: the relay's offset is asked for before sending more. */
  let lost = false;
  const sendChunk = async (): Promise<void> => {
    if (lost) {
      // After a failure the relay keeps what arrived: ask where to resume.
      const response = await send(uploadUrl);
      if (response.status !== 200) throw await refusal(response);
      offset = ((await response.json()) as { offset: number }).offset;
      lost = false;
      options.onProgress?.(offset, file.size);
      if (offset >= file.size) return;
    }
    const end = Math.min(offset + chunk, file.size);
    let response: Response;
    try {
      response = await send(uploadUrl, {
        method: 'PATCH',
        headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset) },
        body: file.slice(offset, end),
      });
    } catch (error) {
      lost = true;
      throw error;
    }
    if (response.status === 409) {
      // Another attempt is still being written, or the offset moved: resume from the relay's offset.
      lost = true;
      const error = await refusal(response);
      throw new BlobUploadError(error.code, error.message, 409, true);
    }
    if (response.status !== 204) throw await refusal(response);
    offset = Number(response.headers.get('upload-offset') ?? end);
    options.onProgress?.(offset, file.size);
  };
  for (;;) {
    while (offset < file.size || lost) await withRetry(sendChunk);
    try {
      return await withRetry(async () => {
        const response = await send(`${uploadUrl}/finish`, { method: 'POST' });
        if (response.status !== 201) throw await refusal(response);
        return ((await response.json()) as { blob: UploadedBlob }).blob;
      });
    } catch (error) {
      // The relay has fewer bytes than we sent (a write cut short): send the rest.
      if (!(error instanceof BlobUploadError && error.code === 'incomplete') || attemptsLeft-- <= 0) throw error;
      lost = true;
    }
  }
}
