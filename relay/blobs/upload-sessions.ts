// Resumable uploads in progress: each a file in the staging directory that PATCH requests append to at a stated offset.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BlobHttpError } from './blob-http-error.js';

/** One upload in progress, owned by one user in one room. */
export interface UploadSession {
  /** 32 random hex characters: the staging file's name. */
  readonly id: string;
  readonly room: string;
  readonly user: string;
  /** Declared total size. */
  readonly size: number;
  /** The SHA-256 the client claims (checked at finish, never trusted), if it sent one. */
  readonly claimedHash: string | undefined;
  readonly path: string;
  /** Bytes received and written so far. */
  offset: number;
  touchedAt: number;
  /** Set while a request appends: a second one is refused (409) until the first ends or its connection drops. */
  appending: boolean;
  /** Set while finishing: no more appends. */
  finishing: boolean;
}

const UPLOAD_ID = /^[0-9a-f]{32}$/;

/** The staging area. Uploads do not survive a relay restart (their files are cleared at start). */
export const createUploadSessions = (dir: string) => {
  const sessions = new Map<string, UploadSession>();

  return {
    /** Clears what a previous run left. */
    async init(): Promise<void> {
      await fs.rm(dir, { recursive: true, force: true });
      await fs.mkdir(dir, { recursive: true });
    },
    async create(room: string, user: string, size: number, claimedHash: string | undefined): Promise<UploadSession> {
      const id = randomBytes(16).toString('hex');
      const path = join(dir, id);
      await (await fs.open(path, 'wx')).close();
      const session: UploadSession = { id, room, user, size, claimedHash, path, offset: 0, touchedAt: Date.now(), appending: false, finishing: false };
      sessions.set(id, session);
      return session;
    },
    /** The session `id` of `user` in `room`; anyone else's (or an unknown id) is a 404. */
    get(room: string, user: string, id: string): UploadSession {
      const session = UPLOAD_ID.test(id) ? sessions.get(id) : undefined;
      if (!session || session.room !== room || session.user !== user) throw new BlobHttpError(404, 'no-such-upload', 'no such upload (it finished, expired or never existed)');
      return session;
    },
    /**
     * Appends a request body at `offset`, which must be where the upload stands (else 409 with the right
     * offset). Bytes are written as they arrive, so a dropped connection keeps what arrived; the body may
     * not go past the declared size (413). Memory: one chunk at a time.
     */
    async append(session: UploadSession, offset: number, body: AsyncIterable<Uint8Array>): Promise<void> {
      if (session.finishing) throw new BlobHttpError(409, 'upload-finishing', 'the upload is being finished');
      if (offset !== session.offset) {
        throw new BlobHttpError(409, 'offset-mismatch', `the upload stands at ${session.offset}, not ${offset}`, { 'Upload-Offset': String(session.offset) });
      }
      if (session.appending) {
        throw new BlobHttpError(409, 'upload-busy', 'another request is still appending to this upload; resume once it ends', { 'Upload-Offset': String(session.offset), 'Retry-After': '1' });
      }
      session.appending = true;
      session.touchedAt = Date.now();
      let handle: Awaited<ReturnType<typeof fs.open>> | undefined;
      try {
        handle = await fs.open(session.path, 'r+');
        for await (const chunk of body) {
          if (session.finishing) return;
          const room = session.size - session.offset;
          if (chunk.byteLength > room) {
            // Nothing of a body that goes past the declared size is kept from this chunk on.
            throw new BlobHttpError(413, 'exceeds-declared-size', `the upload was declared as ${session.size} bytes`, { 'Upload-Offset': String(session.offset) });
          }
          await handle.write(chunk, 0, chunk.byteLength, session.offset);
          session.offset += chunk.byteLength;
          session.touchedAt = Date.now();
        }
      } finally {
        session.appending = false;
        await handle?.close();
      }
    },
    /** Forgets a session and removes its staging file. */
    async drop(session: UploadSession): Promise<void> {
      session.finishing = true;
      sessions.delete(session.id);
      await fs.rm(session.path, { force: true });
    },
    /** Sessions nobody touched since `before` (ms since epoch). */
    idle(before: number): UploadSession[] {
      return [...sessions.values()].filter((s) => s.touchedAt < before && !s.finishing);
    },
    /** Sessions of one room, or of one user. */
    of(filter: { room?: string; user?: string }): UploadSession[] {
      return [...sessions.values()].filter((s) => (filter.room === undefined || s.room === filter.room) && (filter.user === undefined || s.user === filter.user));
    },
  };
};

export type UploadSessions = ReturnType<typeof createUploadSessions>;
