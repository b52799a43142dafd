// Signed URLs for a room's blobs, fetched in batches from the relay and reused until shortly before they expire.
import { relayHttpBase } from './blob-upload.js';

const MAX_BATCH = 50;
/** A URL is renewed this long before it expires, so an `<img>` that starts loading still gets its bytes. */
const MARGIN_MS = 60_000;

export interface BlobUrlOptions {
  relayUrl: string;
  room: string;
  /** A token of any member of the room. */
  getToken: () => Promise<string>;
  fetch?: typeof fetch;
}

/**
 * Resolves blob ids to signed, short-lived URLs that work without a header (`<img src>`, downloads).
 * Requests made in the same microtask are sent as one batch.
 */
export class BlobUrls {
  private readonly cache = new Map<string, { url: string; expiresAt: number }>();
  private queue = new Map<string, { name: string | undefined; waiters: { resolve: (url: string) => void; reject: (e: unknown) => void }[] }>();
  private scheduled = false;

  constructor(private readonly options: BlobUrlOptions) {}

  /** A signed URL for blob `id` (with `name` as the download file name). */
  url(id: string, name?: string): Promise<string> {
    const key = `${id}\u0000${name ?? ''}`;
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt - MARGIN_MS > Date.now()) return Promise.resolve(hit.url);
    return new Promise((resolve, reject) => {
      const entry = this.queue.get(key) ?? { name, waiters: [] };
      entry.waiters.push({ resolve, reject });
      this.queue.set(key, entry);
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => void this.run());
      }
    });
  }

  private async run(): Promise<void> {
    this.scheduled = false;
    const batch = [...this.queue].slice(0, MAX_BATCH);
    for (const [key] of batch) this.queue.delete(key);
    if (this.queue.size > 0) {
      this.scheduled = true;
      queueMicrotask(() => void this.run());
    }
    const base = relayHttpBase(this.options.relayUrl);
    try {
      const response = await (this.options.fetch ?? fetch)(`${base}/blobs/${encodeURIComponent(this.options.room)}/urls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await this.options.getToken()}` },
        body: JSON.stringify({ blobs: batch.map(([key, { name }]) => ({ id: key.split('\u0000')[0], ...(name ? { name } : {}) })) }),
      });
      if (response.status !== 200) throw new Error(`the relay refused file links (${response.status})`);
      const body = (await response.json()) as { urls: Record<string, string>; expiresAt: string };
      const expiresAt = Date.parse(body.expiresAt);
      for (const [key, { waiters }] of batch) {
        const path = body.urls[key.split('\u0000')[0]!];
        if (path === undefined) {
          for (const w of waiters) w.reject(new Error('no such file'));
          continue;
        }
        const url = `${base}${path}`;
        this.cache.set(key, { url, expiresAt });
        for (const w of waiters) w.resolve(url);
      }
    } catch (error) {
      for (const [, { waiters }] of batch) for (const w of waiters) w.reject(error);
    }
  }
}
