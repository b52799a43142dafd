// The composer of <chat-room>: the draft, replying and editing, Enter/Esc/↑ keys, and sending through the conversation.
import { html, nothing, type ReactiveControllerHost, type TemplateResult } from 'lit';
import type { Conversation, ConversationState, MessageView } from '../../index.js';
import type { ChatSendDetail } from './chat-room.events.js';
import { LIMITS } from '../../../shared/schema.js';
import { excerpt } from '../shared/format.js';
import { icon } from '../shared/icons.js';
import type { AttachmentController } from './attachment-controller.js';
import { fileSize } from './attachment-list.js';
import { MentionPicker, mentionCandidates } from './mention-picker.js';

/** The counter shows from this share of the length limit on. */
const COUNTER_FROM = 0.9;
/** Code points, as the shared rules count a message's length (LIMITS.textLength). */
const codePoints = (text: string): number => [...text].length;

/** What the composer needs from the element that hosts it. */
export interface ComposerDeps {
  conversation(): Conversation | undefined;
  state(): ConversationState | undefined;
  /** The composer's textarea, once rendered. */
  input(): HTMLTextAreaElement | null | undefined;
  message(id: string): MessageView | undefined;
  nameOf(userId: string): string;
  /** Fires `chat-send`; false when the page cancelled it. */
  announceSend(detail: ChatSendDetail): boolean;
  /** Runs an operation, showing a failure; resolves to whether it succeeded. */
  run(operation: () => unknown): Promise<boolean>;
  /** A new message was sent: follow the bottom again. */
  sent(): void;
  /** Files staged for the next message and how they are sent. */
  attachments: AttachmentController;
}

/** Draft, reply and edit state of the composer, with its handlers and templates (the host re-renders on change). */
export class Composer {
  draft = '';
  replyTo: string | undefined;
  editing: string | undefined;
  private draftBeforeEdit = '';
  /** The @mention picker: people chosen for the draft go into the message's `mentions`. */
  readonly mentions: MentionPicker;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly deps: ComposerDeps,
  ) {
    this.mentions = new MentionPicker(() => mentionCandidates(deps.conversation(), deps.state()), () => host.requestUpdate());
  }

  /** Replies to `message` (the quote shows above the composer). */
  reply(message: MessageView): void {
    this.editing = undefined;
    this.replyTo = message.id;
    this.host.requestUpdate();
    this.deps.input()?.focus();
  }

  /** Loads `message` into the composer for editing (the draft is kept and restored afterwards). */
  startEdit(message: MessageView): void {
    if (!this.editing) this.draftBeforeEdit = this.draft;
    this.replyTo = undefined;
    this.editing = message.id;
    this.draft = message.text;
    this.mentions.seed(message.mentions, (id) => this.deps.state()?.profiles.get(id)?.name ?? id);
    this.host.requestUpdate();
    void this.host.updateComplete.then(() => {
      this.deps.input()?.focus();
      this.deps.input()?.setSelectionRange(this.draft.length, this.draft.length);
    });
  }

  /** Leaves reply or edit mode. */
  cancel(): void {
    if (this.editing) this.draft = this.draftBeforeEdit;
    this.mentions.close();
    this.editing = undefined;
    this.replyTo = undefined;
    this.host.requestUpdate();
    this.deps.input()?.focus();
  }

  /** The quote or "Editing message" line above the composer. */
  renderContext(): TemplateResult | typeof nothing {
    const id = this.editing ?? this.replyTo;
    const target = id ? this.deps.message(id) : undefined;
    if (!id || !target) return nothing;
    const who = target.mine ? 'yourself' : this.deps.nameOf(target.author);
    const label = this.editing ? 'Editing message' : `Replying to ${who}`;
    return html`<div class="context" part="composer-context">
      <span><b>${label}</b>${this.editing ? ' (Esc to cancel)' : html`: ${excerpt(target.text, 80)}`}</span>
      <button type="button" aria-label=${this.editing ? 'Cancel edit' : 'Cancel reply'} @click=${() => this.cancel()}>${icon('close')}</button>
    </div>`;
  }

  /** The files staged for the next message, each removable. */
  renderStaged(): TemplateResult | typeof nothing {
    const { staged } = this.deps.attachments;
    if (staged.length === 0 || this.editing) return nothing;
    return html`<div class="staged" part="staged-files" role="list" aria-label="Files to send">
      ${staged.map(
        (file, index) => html`<span class="staged-file" role="listitem"
          ><span>${file.name}</span> <small>${fileSize(file.size)}</small
          ><button type="button" aria-label=${`Remove ${file.name}`} @click=${() => this.deps.attachments.unstage(index)}>${icon('close')}</button></span
        >`,
      )}
    </div>`;
  }

  /** The form: attach button, textarea and send button. */
  renderForm(canWrite: boolean): TemplateResult {
    const state = this.deps.state();
    const files = this.deps.attachments;
    const length = this.draft.length >= LIMITS.textLength * COUNTER_FROM ? codePoints(this.draft) : 0;
    const over = length > LIMITS.textLength;
    return html`${length >= LIMITS.textLength * COUNTER_FROM
        ? html`<div class="counter" part="counter" ?data-over=${over} aria-live="polite">
            ${over
              ? `${(length - LIMITS.textLength).toLocaleString()} characters too long (at most ${LIMITS.textLength.toLocaleString()})`
              : `${length.toLocaleString()} / ${LIMITS.textLength.toLocaleString()} characters`}
          </div>`
        : nothing}${this.renderStaged()}
      <form class="composer" part="composer" @submit=${this.onSubmit}>
      ${files.enabled && !this.editing
        ? html`<button type="button" class="attach" part="attach-button" aria-label="Attach files" title="Attach files" ?disabled=${!canWrite}
              @click=${(event: Event) => ((event.currentTarget as HTMLElement).nextElementSibling as HTMLInputElement | null)?.click()}>${icon('paperclip')}</button
            ><input class="file-input" type="file" multiple tabindex="-1" aria-hidden="true" @change=${this.onFilesChosen} />`
        : nothing}
      ${this.mentions.render(() => this.deps.input())}
      <textarea
        class="input"
        part="input"
        rows="1"
        aria-autocomplete="list"
        aria-haspopup="listbox"
        aria-controls=${this.mentions.listId}
        aria-activedescendant=${this.mentions.aria.activedescendant}
        aria-label=${this.editing ? 'Edit message' : 'Message'}
        placeholder=${state?.role === 'read' ? 'Read-only room' : 'Message'}
        ?disabled=${!canWrite}
        .value=${this.draft}
        @input=${this.onInput}
        @keydown=${this.onKeydown}
        @blur=${this.onBlur}
        @click=${this.onCaret}
        @paste=${this.onPaste}
      ></textarea>
      <button class="send" part="send" type="submit" ?disabled=${!canWrite || over}>${this.editing ? 'Save' : 'Send'}</button>
    </form>`;
  }

  private readonly onInput = (event: InputEvent): void => {
    this.draft = (event.target as HTMLTextAreaElement).value;
    this.mentions.update(event.target as HTMLTextAreaElement);
    this.host.requestUpdate();
    if (!this.editing) this.deps.conversation()?.setTyping(this.draft.trim() !== '');
  };

  private readonly onFilesChosen = (event: Event): void => {
    const input = event.target as HTMLInputElement;
    this.deps.attachments.add(input.files ?? []);
    input.value = '';
    this.deps.input()?.focus();
  };

  /** Pasting files (a screenshot, files copied in the file manager) stages them instead of inserting text. */
  private readonly onPaste = (event: ClipboardEvent): void => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0 || !this.deps.attachments.enabled || this.editing) return;
    event.preventDefault();
    this.deps.attachments.add(files);
  };

  private readonly onBlur = (): void => {
    this.deps.conversation()?.setTyping(false);
    this.mentions.close();
  };

  /** A click or a caret move may leave (or enter) an `@query`. */
  private readonly onCaret = (event: Event): void => {
    this.mentions.update(event.target as HTMLTextAreaElement);
  };

  private readonly onKeydown = (event: KeyboardEvent): void => {
    if (event.isComposing) return;
    if (this.mentions.keydown(event, event.target as HTMLTextAreaElement)) return;
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      void this.submit();
    } else if (event.key === 'Escape' && (this.editing || this.replyTo)) {
      event.preventDefault();
      this.cancel();
    } else if (event.key === 'ArrowUp' && this.draft === '' && !this.editing) {
      // Up in an empty composer edits one's last message, as in most chat apps.
      const last = [...(this.deps.state()?.messages ?? [])].reverse().find((m) => m.mine && !m.deleted);
      if (last) {
        event.preventDefault();
        this.startEdit(last);
      }
    }
  };

  private readonly onSubmit = (event: SubmitEvent): void => {
    event.preventDefault();
    void this.submit();
  };

  /** Sends the draft (or saves the edit); the draft comes back if sending failed. */
  async submit(): Promise<void> {
    const conversation = this.deps.conversation();
    const text = this.draft;
    const editing = this.editing;
    const files = editing ? [] : this.deps.attachments.staged;
    if (!conversation || (text.trim() === '' && files.length === 0) || codePoints(text) > LIMITS.textLength) return;
    const replyTo = this.replyTo;
    // The people whose `@Name` is in the text (chosen in the picker, or typed in full).
    const mentions = this.mentions.mentionsFor(text);
    const detail: ChatSendDetail = { text, ...(mentions.length > 0 ? { mentions } : {}), ...(replyTo ? { replyTo } : {}), ...(editing ? { edit: editing } : {}), ...(files.length > 0 ? { files } : {}) };
    if (!this.deps.announceSend(detail)) return;
    if (editing) {
      const original = this.deps.message(editing);
      const same = original?.text === text && (original.mentions ?? []).join(' ') === mentions.join(' ');
      const ok = same || (await this.deps.run(() => conversation.edit(editing, text, { mentions })));
      if (!ok) return;
      this.mentions.reset();
      this.editing = undefined;
      this.draft = this.draftBeforeEdit;
      this.host.requestUpdate();
      return;
    }
    this.draft = '';
    this.replyTo = undefined;
    this.mentions.reset();
    this.deps.sent();
    this.host.requestUpdate();
    const ok = await this.deps.run(() =>
      files.length > 0
        ? this.deps.attachments.send(text.trim() === '' ? '' : text, replyTo, mentions)
        : conversation.send(text, { ...(replyTo ? { replyTo } : {}), ...(mentions.length > 0 ? { mentions } : {}) }));
    if (!ok && this.draft === '') {
      this.draft = text;
      this.host.requestUpdate();
    }
  }
}
