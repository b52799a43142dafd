// Sends messages with files: keeps the files with the queued message, uploads them when the relay is reachable, then lets the message be written.
import { ATTACHMENT_LIMITS, type Attachment } from '../../shared/attachments.js';
import { newMessageId } from '../../shared/ids.js';
import type { GetToken } from '../connection/connection-state.js';
import type { Conversation, MessageView } from '../conversation/types.js';
import { BlobUploadError, sha256Hex, uploadBlob, type UploadedBlob } from './blob-upload.js';
import { describeImage } from './image-preview.js';
import { PendingFiles, type PendingFile, type PendingMessageFiles } from './pending-files.js';

export interface AttachmentSenderOptions {
  conversation: Conversation;
  relayUrl: string;
  /** The conversation's token source (a token with write access to the room). */
  getToken: GetToken;
  /** For tests. */
  fetch?: typeof fetch;
}

/** Bytes of a queued message's files the relay has, while they upload. */
export interface UploadProgress {
  sent: number;
  total: number;
}

/** A file to attach: a File (its name is used) or a Blob with a name. */
export type FileInput = File | { name: string; file: Blob };

const MEDIA_TYPE = /^[a-z0-9][\w.+-]*\/[\w.+-]+$/;
/** Files without a queued message are dropped only when this old: another tab may be queueing that message right now. */
const ORPHAN_AFTER_MS = 60_000;
const RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

/** A file name the record accepts: no control characters or slashes, at most 256 characters. */
const safeName = (name: string): string => {
  const cleaned = name.replace(/[\p{Cc}/\\]/gu, '_').trim().slice(0, ATTACHMENT_LIMITS.name);
  return cleaned.length > 0 ? cleaned : 'file';
};

/** The attachment records of prepared files: provisional (type as the browser guessed) until the relay answers. */
const recordsOf = (files: PendingFile[]): Attachment[] =>
  files.map((f) => {
    const stored = f.stored;
    const guessed = f.file.type.toLowerCase();
    return {
      blob: stored?.id ?? f.sha256,
      name: f.name,
      type: stored?.type ?? (MEDIA_TYPE.test(guessed) ? guessed : 'application/octet-stream'),
      size: stored?.size ?? f.file.size,
      ...(f.width !== undefined && f.height !== undefined ? { width: f.width, height: f.height } : {}),
      ...(f.previewStored ? { preview: f.previewStored.id } : f.previewSha256 ? { preview: f.previewSha256 } : {}),
    };
  });

/**
 * One conversation's attachment queue. `send` shows the message at once (queued, "sending", with local
 * previews via `localFiles`), keeps its files in IndexedDB, uploads them while the relay is reachable
 * (resuming after reloads and dropped connections), and only then lets the conversation write the message,
 * so no one ever sees a message whose file is missing. A refused file fails the message with the relay's
 * reason; `retry` sends the same files again.
 */
export class AttachmentSender {
  private readonly pending: PendingFiles;
  private readonly progressById = new Map<string, UploadProgress>();
  private readonly listeners = new Set<() => void>();
  private running: Promise<void> | undefined;
  private again = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly unsubscribe: () => void;
  /** Subscriptions waiting for written messages (dropped on close). */
  private readonly watchers = new Set<() => void>();
  /** Messages whose files are stored but which are not queued yet (see `queue`). */
  private readonly queueing = new Set<string>();

  constructor(private readonly options: AttachmentSenderOptions) {
    const { conversation } = options;
    this.pending = new PendingFiles(conversation.user.id);
    let wasConnected = false;
    this.unsubscribe = conversation.subscribe((state) => {
      const connected = state.connection.status === 'connected';
      if (connected && !wasConnected) this.resume();
      wasConnected = connected;
    });
    void conversation.loaded.then(() => this.resume());
  }

  /** Sends `text` (may be empty) with up to 10 files. Resolves once the message is queued (not uploaded). */
  async send(text: string, files: FileInput[], options: { replyTo?: string; mentions?: readonly string[] } = {}): Promise<MessageView> {
    if (files.length === 0) return this.options.conversation.send(text, options);
    if (files.length > ATTACHMENT_LIMITS.count) throw new RangeError(`at most ${ATTACHMENT_LIMITS.count} files per message`);
    const prepared = await Promise.all(files.map((input) => prepare(input)));
    return this.queue(text, prepared, options.replyTo, options.mentions);
  }

  /** Sends a failed message's files again as a new message (the failed one is removed). */
  async retry(message: MessageView): Promise<MessageView> {
    const { conversation } = this.options;
    const stored = await this.pending.get(conversation.room, message.id);
    await conversation.delete(message.id);
    await this.pending.delete(conversation.room, message.id);
    if (!stored) return conversation.send(message.text, message.replyTo !== undefined ? { replyTo: message.replyTo } : {});
    return this.queue(message.text, stored.files, message.replyTo);
  }

  /** The local files of a queued message (for previews while it is not sent), or undefined. */
  async localFiles(messageId: string): Promise<PendingFile[] | undefined> {
    return (await this.pending.get(this.options.conversation.room, messageId))?.files;
  }

  /** Upload progress of a queued message, while its files upload. */
  progress(messageId: string): UploadProgress | undefined {
    return this.progressById.get(messageId);
  }

  /** Calls `listener` when any progress changes; returns the unsubscribe function. */
  onProgress(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Uploads whatever is pending now (also called on reconnects). One pass at a time. */
  resume(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.uploadPending();
        } while (this.again && !this.closed);
        this.attempt = 0;
      } catch {
        // Relay unreachable or busy: try again later (and at once on the next reconnect).
        const delay = RETRY_MS[Math.min(this.attempt++, RETRY_MS.length - 1)]!;
        this.timer = setTimeout(() => this.resume(), delay);
      } finally {
        this.running = undefined;
      }
    })();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.unsubscribe();
    for (const stop of this.watchers) stop();
    await this.running;
    await this.pending.close();
  }

  private async queue(text: string, files: PendingFile[], replyTo: string | undefined, mentions?: readonly string[]): Promise<MessageView> {
    const { conversation } = this.options;
    const id = newMessageId();
    // What the relay stored earlier is claimed again (answered at once, without bytes), so that a blob
    // collected meanwhile is uploaded anew rather than referred to.
    const fresh = files.map(({ stored: _s, previewStored: _p, uploadId: _u, ...file }) => file);
    const entry: PendingMessageFiles = { room: conversation.room, messageId: id, files: fresh, createdAt: Date.now() };
    // Files first: a message queued without its files could never be sent.
    this.queueing.add(id);
    try {
      await this.pending.put(entry);
      const view = await conversation.send(text, {
        id,
        attachments: recordsOf(entry.files),
        awaitingFiles: true,
        ...(replyTo !== undefined ? { replyTo } : {}),
        ...(mentions !== undefined && mentions.length > 0 ? { mentions } : {}),
      });
      return view;
    } catch (error) {
      await this.pending.delete(entry.room, id);
      throw error;
    } finally {
      this.queueing.delete(id);
      this.resume();
    }
  }

  private setProgress(id: string, progress: UploadProgress | undefined): void {
    if (progress) this.progressById.set(id, progress);
    else this.progressById.delete(id);
    for (const listener of this.listeners) listener();
  }

  private async uploadPending(): Promise<void> {
    const { conversation } = this.options;
    await conversation.loaded;
    const state = conversation.getState();
    if (state.connection.status !== 'connected') return;
    const queued = new Map(state.messages.filter((m) => m.queued).map((m) => [m.id, m]));
    for (const entry of await this.pending.inRoom(conversation.room)) {
      if (this.closed) return;
      if (this.queueing.has(entry.messageId)) continue;
      const message = queued.get(entry.messageId);
      if (!message) {
        // Its message was deleted before it was sent, or is already written: the files are not needed here any
        // more (unless they are new: another tab may be queueing their message at this moment).
        const orphan = Date.now() - entry.createdAt > ORPHAN_AFTER_MS;
        if (orphan && !conversation.getState().messages.some((m) => m.id === entry.messageId && m.queued)) await this.pending.delete(entry.room, entry.messageId);
        continue;
      }
      if (message.status === 'failed') continue;
      if (entry.files.every((f) => f.stored && (!f.preview || f.previewStored))) {
        // Uploaded before a reload; the message may be waiting for the flush only.
        await conversation.filesStored(entry.messageId, recordsOf(entry.files));
        this.dropOnceWritten(entry);
        continue;
      }
      await this.uploadMessage(entry);
    }
  }

  /** Uploads one message's files (previews first: they are small and make the message look right at once). */
  private async uploadMessage(entry: PendingMessageFiles): Promise<void> {
    const { conversation } = this.options;
    const total = entry.files.reduce((sum, f) => sum + f.file.size + (f.preview?.size ?? 0), 0);
    let done = entry.files.reduce((sum, f) => sum + (f.stored ? f.file.size : 0) + (f.previewStored ? (f.preview?.size ?? 0) : 0), 0);
    this.setProgress(entry.messageId, { sent: done, total });
    const put = async (blob: Blob, sha256: string, file?: PendingFile): Promise<UploadedBlob> => {
      const base = done;
      const stored = await uploadBlob({
        ...(file?.uploadId ? { resume: file.uploadId } : {}),
        ...(file ? {
          onStarted: (uploadId: string) => {
            file.uploadId = uploadId;
            void this.pending.put(entry);
          },
        } : {}),
        relayUrl: this.options.relayUrl,
        room: conversation.room,
        getToken: (forceRefresh) => this.options.getToken({ room: conversation.room, forceRefresh }),
        file: blob,
        sha256,
        onProgress: (sent) => this.setProgress(entry.messageId, { sent: base + sent, total }),
        ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      });
      done = base + blob.size;
      return stored;
    };
    try {
      for (const file of entry.files) {
        if (file.preview && file.previewSha256 && !file.previewStored) {
          file.previewStored = await put(file.preview, file.previewSha256);
          await this.pending.put(entry);
        }
        if (!file.stored) {
          file.stored = await put(file.file, file.sha256, file);
          delete file.uploadId;
          await this.pending.put(entry);
        }
      }
    } catch (error) {
      this.setProgress(entry.messageId, undefined);
      if (error instanceof BlobUploadError && !error.retryable) {
        const failed = entry.files.find((f) => !f.stored || (f.preview && !f.previewStored));
        await conversation.filesRefused(entry.messageId, `${failed?.name ?? 'a file'}: ${error.message}`);
        return;
      }
      throw error;
    }
    await conversation.filesStored(entry.messageId, recordsOf(entry.files));
    this.setProgress(entry.messageId, undefined);
    this.dropOnceWritten(entry);
  }

  /**
   * Keeps the local files until the message is written (so a reload offline still shows its previews), then
   * drops them. Should the page close first, a later pass drops them as orphans.
   */
  private dropOnceWritten(entry: PendingMessageFiles): void {
    const { conversation } = this.options;
    const written = (): boolean => !conversation.getState().messages.some((m) => m.id === entry.messageId && m.queued);
    if (written()) {
      void this.pending.delete(entry.room, entry.messageId);
      return;
    }
    const stop = conversation.subscribe(() => {
      if (!written()) return;
      stop();
      this.watchers.delete(stop);
      void this.pending.delete(entry.room, entry.messageId);
    });
    this.watchers.add(stop);
  }
}

/** Hashes a file and, for images, measures it and makes a preview. */
async function prepare(input: FileInput): Promise<PendingFile> {
  const file = input instanceof Blob ? input : input.file;
  const name = safeName(input instanceof Blob ? ((input as File).name ?? 'file') : input.name);
  const [sha256, image] = await Promise.all([sha256Hex(file), describeImage(file)]);
  const prepared: PendingFile = { name, file, sha256 };
  if (image) {
    prepared.width = image.width;
    prepared.height = image.height;
    if (image.preview) {
      prepared.preview = image.preview;
      prepared.previewSha256 = await sha256Hex(image.preview);
    }
  }
  return prepared;
}
