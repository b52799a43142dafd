// The attachments of <chat-room>: files staged in the composer, the conversation's AttachmentSender, signed links and local previews.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { AttachmentSender, BlobUrls, type Conversation, type MessageView, type PendingFile } from '../../index.js';
import type { TokenProvider } from './conversation-controller.js';

/** What the controller reads from its host. */
export interface AttachmentSource {
  conversation(): Conversation | undefined;
  /** The relay's base URL (the `relay` attribute); without it files cannot be sent or shown. */
  relay(): string | undefined;
  tokens(): TokenProvider | undefined;
}

/** Local object URLs of a queued message's files: the preview (or the file) per attachment. */
type LocalUrls = (string | undefined)[];

/**
 * Owns one AttachmentSender and one BlobUrls per conversation shown, the files staged for the next message,
 * and the object URLs of queued messages' local files (revoked when no longer needed). Asynchronous answers
 * (links, local files, progress) request an update of the host.
 */
export class AttachmentController implements ReactiveController {
  /** Files chosen for the next message. */
  staged: File[] = [];
  sender: AttachmentSender | undefined;
  private urls: BlobUrls | undefined;
  private shownFor: Conversation | undefined;
  private readonly signed = new Map<string, string>();
  private readonly asked = new Set<string>();
  private readonly local = new Map<string, LocalUrls>();
  private readonly localAsked = new Set<string>();
  private stopProgress: (() => void) | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly source: AttachmentSource,
  ) {
    host.addController(this);
  }

  /** Whether files can be sent and shown: a conversation, the relay's URL and a way to get tokens. */
  get enabled(): boolean {
    return Boolean(this.sender);
  }

  hostConnected(): void {
    this.sync();
  }

  hostUpdate(): void {
    this.sync();
  }

  hostDisconnected(): void {
    this.release();
  }

  /** Adds files to the next message (at most 10 in all). */
  add(files: Iterable<File>): void {
    this.staged = [...this.staged, ...files].slice(0, 10);
    this.host.requestUpdate();
  }

  unstage(index: number): void {
    this.staged = this.staged.filter((_, i) => i !== index);
    this.host.requestUpdate();
  }

  /** Sends `text` with the staged files (which are cleared at once). */
  async send(text: string, replyTo: string | undefined, mentions: readonly string[] = []): Promise<MessageView | undefined> {
    if (!this.sender) return undefined;
    const files = this.staged;
    this.staged = [];
    this.host.requestUpdate();
    try {
      return await this.sender.send(text, files, { ...(replyTo !== undefined ? { replyTo } : {}), ...(mentions.length > 0 ? { mentions } : {}) });
    } catch (error) {
      // Nothing was queued: the files come back to the composer.
      this.staged = files;
      this.host.requestUpdate();
      throw error;
    }
  }

  /** Sends a failed message's files again. */
  retry(message: MessageView): Promise<MessageView> | undefined {
    return this.sender?.retry(message);
  }

  /** Upload progress of a queued message (0–1), while its files upload. */
  progress(messageId: string): number | undefined {
    const progress = this.sender?.progress(messageId);
    return progress && progress.total > 0 ? progress.sent / progress.total : undefined;
  }

  /** A signed link to a blob (with `name` for downloads), or undefined until it arrives (the host then re-renders). */
  link(blobId: string, name?: string): string | undefined {
    const key = `${blobId}\u0000${name ?? ''}`;
    const hit = this.signed.get(key);
    if (hit !== undefined || !this.urls || this.asked.has(key)) return hit;
    this.asked.add(key);
    const urls = this.urls;
    urls.url(blobId, name).then(
      (url) => {
        if (this.urls !== urls) return;
        this.signed.set(key, url);
        // Renewed before it expires (the cache gives a fresh one once the old nears its end).
        setTimeout(() => {
          this.signed.delete(key);
          this.asked.delete(key);
        }, 5 * 60_000);
        this.host.requestUpdate();
      },
      () => this.asked.delete(key),
    );
    return undefined;
  }

  /** Object URLs of a queued message's local files (previews where made), or undefined until read. */
  localUrls(messageId: string): LocalUrls | undefined {
    const hit = this.local.get(messageId);
    if (hit || !this.sender || this.localAsked.has(messageId)) return hit;
    this.localAsked.add(messageId);
    void this.sender.localFiles(messageId).then((files: PendingFile[] | undefined) => {
      if (!files) return;
      this.local.set(messageId, files.map((f) => (f.preview || f.width !== undefined ? URL.createObjectURL(f.preview ?? f.file) : undefined)));
      this.host.requestUpdate();
    });
    return undefined;
  }

  /** Drops local URLs of messages that are no longer queued. */
  prune(queued: ReadonlySet<string>): void {
    for (const [id, urls] of this.local) {
      if (queued.has(id)) continue;
      for (const url of urls) if (url) URL.revokeObjectURL(url);
      this.local.delete(id);
      this.localAsked.delete(id);
    }
  }

  private sync(): void {
    const conversation = this.source.conversation();
    const relay = this.source.relay();
    const tokens = this.source.tokens();
    const usable = conversation && relay && tokens ? conversation : undefined;
    if (usable === this.shownFor) return;
    this.release();
    this.shownFor = usable;
    if (!usable || !relay || !tokens) return;
    const room = usable.room;
    this.sender = new AttachmentSender({ conversation: usable, relayUrl: relay, getToken: tokens });
    this.urls = new BlobUrls({ relayUrl: relay, room, getToken: () => tokens({ room, forceRefresh: false }) });
    this.stopProgress = this.sender.onProgress(() => this.host.requestUpdate());
  }

  private release(): void {
    this.stopProgress?.();
    void this.sender?.close();
    this.sender = undefined;
    this.urls = undefined;
    this.shownFor = undefined;
    this.signed.clear();
    this.asked.clear();
    this.prune(new Set());
  }
}
