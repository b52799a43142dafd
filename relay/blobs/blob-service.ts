// Blob policy, once above any store: upload sessions, limits and quotas, type sniffing, signed URLs, collection and room deletion.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileTypeFromFile } from 'file-type';
import type { Logger } from 'pino';
import { isBlobId, isInlineImage } from '../../shared/attachments.js';
import { BlobHttpError } from './blob-http-error.js';
import { createBlobQuota } from './blob-quota.js';
import { BlobStoreError, type BlobInfo, type BlobStore, type ByteRange } from './blob-store.js';
import type { BlobLimits } from './blob-limits.js';
import { checkSignature, signBlob } from './signed-url.js';
import { createUploadSessions, type UploadSession } from './upload-sessions.js';

export interface BlobServiceDeps {
  store: BlobStore;
  limits: BlobLimits;
  /** Directory for uploads in progress (local to this relay). */
  stagingDir: string;
  /** Key of signed URLs (random per start unless configured: URLs then end with the process). */
  urlSecret: Uint8Array;
  /** The blob ids a room's messages refer to (loads the room). */
  references: (room: string) => Promise<Set<string>>;
  /**
   * Cluster mode: records in the room's log that a blob was stored for it (after its bytes are committed) or
   * removed, and resolves once that is durable; every relay's guard follows these (storage/room-blob-index.ts).
   */
  announce?: (room: string, change: { stored: { id: string; size: number; type: string } } | { removed: string }) => Promise<void>;
  log: Logger;
}

/** What an upload or a claim answers. */
export interface StoredBlob {
  id: string;
  size: number;
  type: string;
  /** Whether browsers may show it inline (an allow-listed image type); everything else is served as a download. */
  inline: boolean;
}

const MEDIA_TYPE = /^[a-z0-9][\w.+-]*\/[\w.+-]+$/;
const OCTET = 'application/octet-stream';

const stored = (info: BlobInfo): StoredBlob => ({ id: info.id, size: info.size, type: info.type, inline: isInlineImage(info.type) });

const hashFile = async (path: string): Promise<string> => {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
};

export const createBlobService = (deps: BlobServiceDeps) => {
  const { store, limits, log } = deps;
  const quota = createBlobQuota();
  const uploads = createUploadSessions(deps.stagingDir);
  /** Blobs recently claimed or referenced, by `room/id`: their grace period counts from then. */
  const claimedAt = new Map<string, number>();
  /** Blobs a message referred to when the collector last looked: collected as soon as none does. */
  const referenced = new Set<string>();
  const key = (room: string, id: string) => `${room}/${id}`;
  /** Blobs being copied into the store, by `room/id`: a second upload of the same bytes waits for the first. */
  const storing = new Map<string, Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let collecting: Promise<{ deleted: number; kept: number }> | undefined;

  const checkRoomQuota = (room: string, user: string, size: number) => {
    if (size > limits.maxFileBytes) throw new BlobHttpError(413, 'too-large', `files are limited to ${limits.maxFileBytes} bytes`);
    if (uploads.of({ user }).length >= limits.uploadsPerUser) {
      throw new BlobHttpError(429, 'too-many-uploads', `at most ${limits.uploadsPerUser} uploads at once`, { 'Retry-After': '5' });
    }
    if (quota.user(user) + size > limits.userQuotaBytes) {
      throw new BlobHttpError(429, 'quota-exceeded', `your files would exceed your quota of ${limits.userQuotaBytes} bytes`);
    }
    if (quota.room(room) + size > limits.roomQuotaBytes) {
      throw new BlobHttpError(429, 'quota-exceeded', `this conversation's files would exceed its quota of ${limits.roomQuotaBytes} bytes`);
    }
  };

  /** A claim (an upload or a dedup answer) restarts the grace period, also for a blob whose message was deleted. */
  const claim = (room: string, id: string) => {
    claimedAt.set(key(room, id), Date.now());
    referenced.delete(key(room, id));
  };

  /** Announces (cluster mode) before answering: a message written after the answer comes after it in the log. */
  const announceStored = async (room: string, info: BlobInfo) => {
    if (!deps.announce) return;
    try {
      await deps.announce(room, { stored: { id: info.id, size: info.size, type: info.type } });
    } catch (error) {
      log.warn({ err: error, room }, 'announcing a stored blob failed');
      // The bytes are stored; claiming the same sha256 again announces it then.
      throw new BlobHttpError(503, 'storage-unavailable', 'the file is stored but could not be announced yet; retry', { 'Retry-After': '1' });
    }
  };

  const removeBlob = async (room: string, info: BlobInfo) => {
    // Announced first: from that log position on, every relay's guard refuses the blob.
    await deps.announce?.(room, { removed: info.id });
    await store.remove(room, info.id);
    quota.refund(room, info.uploader, info.size);
    referenced.delete(key(room, info.id));
    claimedAt.delete(key(room, info.id));
  };

  const collectRoom = async (room: string, infos: BlobInfo[], now: number): Promise<number> => {
    const refs = await deps.references(room);
    let deleted = 0;
    for (const info of infos) {
      const k = key(room, info.id);
      if (refs.has(info.id)) {
        referenced.add(k);
        continue;
      }
      const since = Math.max(info.createdAt, claimedAt.get(k) ?? 0);
      if (referenced.has(k) || now - since > limits.unreferencedGraceMs) {
        await removeBlob(room, info);
        deleted++;
      }
    }
    return deleted;
  };

  const service = {
    store,
    limits,
    /** Clears stale staging files and counts what every room and user already stores. */
    async init(): Promise<void> {
      await uploads.init();
      for await (const { room, info } of store.list()) quota.charge(room, info.uploader, info.size);
    },

    /**
     * Starts an upload of `size` bytes, or, when `sha256` names a blob the room already has, answers with
     * it (nothing to send; its grace period restarts). Limits: 413 for the file size, 429 for quotas.
     */
    async createUpload(room: string, user: string, size: number, sha256: string | undefined): Promise<{ upload: UploadSession } | { blob: StoredBlob }> {
      // `stat`, not `peek`: with a shared store another relay may have stored it.
      if (sha256 !== undefined && isBlobId(sha256)) {
        const info = await store.stat(room, sha256);
        if (info && info.size === size) {
          await announceStored(room, info);
          claim(room, sha256);
          return { blob: stored(info) };
        }
      }
      checkRoomQuota(room, user, size);
      quota.charge(room, user, size);
      try {
        return { upload: await uploads.create(room, user, size, sha256) };
      } catch (error) {
        quota.refund(room, user, size);
        throw error;
      }
    },
    session: (room: string, user: string, id: string) => uploads.get(room, user, id),
    append: (session: UploadSession, offset: number, body: AsyncIterable<Uint8Array>) => uploads.append(session, offset, body),
    async cancel(session: UploadSession): Promise<void> {
      if (session.finishing) return;
      await uploads.drop(session);
      quota.refund(session.room, session.user, session.size);
    },

    /**
     * Completes an upload: all bytes must be there (409 `incomplete` otherwise, the upload stays so it can
     * resume), the type is sniffed from the bytes, the SHA-256 is computed while copying into the store and
     * must match the claim (422 `hash-mismatch`: the upload is discarded).
     */
    async finish(session: UploadSession): Promise<StoredBlob> {
      if (session.finishing) throw new BlobHttpError(409, 'upload-finishing', 'the upload is being finished');
      if (session.appending) throw new BlobHttpError(409, 'upload-busy', 'bytes are still arriving for this upload', { 'Retry-After': '1' });
      if (session.offset !== session.size) {
        throw new BlobHttpError(409, 'incomplete', `only ${session.offset} of ${session.size} bytes arrived; resume from there`, { 'Upload-Offset': String(session.offset) });
      }
      session.finishing = true;
      const { room, user } = session;
      let keepCharge = false;
      try {
        const sniffed = (await fileTypeFromFile(session.path))?.mime;
        const type = sniffed !== undefined && MEDIA_TYPE.test(sniffed) ? sniffed : OCTET;
        const id = session.claimedHash ?? (await hashFile(session.path));
        const k = key(room, id);
        // The same bytes finishing twice at once: the second waits, then finds them stored (and is not charged).
        while (storing.has(k)) await storing.get(k)!.catch(() => {});
        const existed = (await store.stat(room, id)) !== undefined;
        const info: BlobInfo = { id, size: session.size, type, createdAt: Date.now(), uploader: user };
        const putting = store.put(room, info, createReadStream(session.path) as Readable);
        storing.set(k, putting);
        try {
          await putting;
        } catch (error) {
          if (error instanceof BlobStoreError) throw new BlobHttpError(422, error.code, `${error.message}; the upload was discarded`);
          throw error;
        } finally {
          storing.delete(k);
        }
        const result = existed ? ((await store.stat(room, id)) ?? info) : info;
        keepCharge = !existed;
        await announceStored(room, result);
        claim(room, id);
        return stored(result);
      } finally {
        await uploads.drop(session);
        if (!keepCharge) quota.refund(room, user, session.size);
      }
    },

    /** A blob's info, or a 404. */
    async stat(room: string, id: string): Promise<BlobInfo> {
      const info = isBlobId(id) ? await store.stat(room, id) : undefined;
      if (!info) throw new BlobHttpError(404, 'no-such-blob', 'this conversation has no such file');
      return info;
    },
    async read(room: string, id: string, range?: ByteRange): Promise<Readable> {
      const stream = await store.get(room, id, range);
      if (!stream) throw new BlobHttpError(404, 'no-such-blob', 'this conversation has no such file');
      return stream;
    },
    /** A signed path (`/blobs/<room>/<id>?exp&sig[&name]`) valid for `limits.urlTtlSeconds`. */
    signedPath(room: string, id: string, name = ''): { path: string; expiresAt: number } {
      const exp = Math.floor(Date.now() / 1000) + limits.urlTtlSeconds;
      const params = new URLSearchParams({ exp: String(exp), sig: signBlob(deps.urlSecret, room, id, exp, name) });
      if (name !== '') params.set('name', name);
      return { path: `/blobs/${encodeURIComponent(room)}/${id}?${params.toString()}`, expiresAt: exp * 1000 };
    },
    checkSigned: (room: string, id: string, params: { exp: string | undefined; sig: string | undefined; name: string | undefined }) =>
      checkSignature(deps.urlSecret, room, id, params),

    /** Whether the room has the blob, also when another relay stored it (a shared store: `peek` knows only this one's). */
    exists: async (room: string, id: string): Promise<boolean> => store.peek(room, id) !== undefined || (await store.stat(room, id)) !== undefined,
    /** Whether the room has the blob (synchronous). */
    has: (room: string, id: string): boolean => store.peek(room, id) !== undefined,
    /** Size and sniffed type of a blob the room has (for the write guard: synchronous). */
    describe: (room: string, id: string): { size: number; type: string } | undefined => store.peek(room, id),
    async list(room: string): Promise<BlobInfo[]> {
      const out: BlobInfo[] = [];
      for await (const entry of store.list(room)) out.push(entry.info);
      return out;
    },

    /**
     * Collects blobs no message refers to: at once when a message referred to one before (its message was
     * deleted or edited), else once older than the grace period (uploaded but never sent). Also drops idle
     * uploads. One room, or all rooms with blobs. Runs one at a time.
     */
    collect(room?: string): Promise<{ deleted: number; kept: number }> {
      const run = async () => {
        const now = Date.now();
        for (const session of uploads.idle(now - limits.uploadIdleMs)) await service.cancel(session);
        const byRoom = new Map<string, BlobInfo[]>();
        for await (const entry of store.list(room)) {
          const list = byRoom.get(entry.room) ?? byRoom.set(entry.room, []).get(entry.room)!;
          list.push(entry.info);
        }
        let deleted = 0;
        let total = 0;
        for (const [name, infos] of byRoom) {
          total += infos.length;
          try {
            deleted += await collectRoom(name, infos, now);
          } catch (error) {
            log.error({ err: error, room: name }, 'blob collection failed for a room');
          }
        }
        if (deleted > 0) log.info({ deleted, room }, 'unreferenced blobs collected');
        return { deleted, kept: total - deleted };
      };
      const next = (collecting ?? Promise.resolve()).catch(() => {}).then(run);
      collecting = next;
      return next;
    },
    /** Removes every blob and upload of a deleted room. */
    async deleteRoom(room: string): Promise<void> {
      for (const session of uploads.of({ room })) await service.cancel(session);
      for (const info of await service.list(room)) quota.refund(room, info.uploader, info.size);
      await store.remove(room);
      for (const k of [...referenced]) if (k.startsWith(`${room}/`)) referenced.delete(k);
      for (const k of [...claimedAt.keys()]) if (k.startsWith(`${room}/`)) claimedAt.delete(k);
    },
    /** Runs `collect` every `limits.gcIntervalMs` until `stop`. */
    start(): void {
      timer = setInterval(() => void service.collect().catch((error: unknown) => log.error({ err: error }, 'blob collection failed')), limits.gcIntervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      await collecting?.catch(() => {});
    },
    usage: (room: string, user: string) => ({ room: quota.room(room), user: quota.user(user) }),
    /** For metrics: bytes stored and reserved, and uploads in progress. */
    totals: () => ({ bytes: quota.total(), uploads: uploads.of({}).length }),
  };
  return service;
};

export type BlobService = ReturnType<typeof createBlobService>;

/** Where a relay with a data directory keeps blobs and uploads in progress. */
export const blobPaths = (dataDir: string) => ({ root: join(dataDir, 'blobs'), staging: join(dataDir, 'blobs', 'uploads') });
