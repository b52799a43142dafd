// The <chat-thread> class (registered by chat-thread.ts): one thread of a conversation, its replies and a composer.
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import type { Conversation, MessageView } from '../../index.js';
import { renderMessageText } from '../chat-room/message-row.js';
import { MentionPicker, mentionCandidates } from '../chat-room/mention-picker.js';
import { mentionStyles } from '../chat-room/mentions.styles.js';
import { timeLabel } from '../shared/format.js';
import { icon } from '../shared/icons.js';
import { themeStyles } from '../shared/theme.js';
import { chatThreadStyles } from './chat-thread.styles.js';
import { ConversationSubscription } from './conversation-subscription.js';

/**
 * The thread under message `root` of a conversation opened by the page (or by `<chat-room>`): the root, its
 * replies in order, and a composer with "Also send to the conversation". Replies shown are marked read.
 *
 * @fires chat-thread-close - the user closed the panel
 */
export class ChatThread extends LitElement {
  static override styles = [themeStyles, chatThreadStyles, mentionStyles];

  /** The conversation the thread is in. */
  @property({ attribute: false }) conversation?: Conversation;

  /** Id of the thread's root message. */
  @property() root?: string;

  /** `light`, `dark`, or `auto`. */
  @property({ reflect: true }) theme: 'auto' | 'light' | 'dark' = 'auto';

  @state() private errorText = '';

  @query('textarea') private input!: HTMLTextAreaElement | null;
  @query('input[type="checkbox"]') private alsoInMain!: HTMLInputElement | null;

  private readonly subscription = new ConversationSubscription(this, () => this.conversation);
  private lastMarked: string | undefined;
  /** The same @ picker as <chat-room>'s composer. */
  private readonly mentions = new MentionPicker(() => mentionCandidates(this.conversation, this.subscription.state), () => this.requestUpdate());

  /** Moves focus to the composer. */
  override focus(options?: FocusOptions): void {
    this.input?.focus(options);
  }

  protected override render(): TemplateResult {
    const state = this.subscription.state;
    const root = state?.messages.find((m) => m.id === this.root);
    const replies = state?.messages.filter((m) => m.threadRoot === this.root) ?? [];
    const canWrite = Boolean(state && state.role !== 'read' && !state.closed && root);
    return html`
      <header part="header">
        <span>Thread</span>
        <button type="button" aria-label="Close thread" @click=${this.close}>${icon('close')}</button>
      </header>
      <div class="replies" part="replies" role="log" aria-label="Thread replies">
        ${root ? this.renderMessage(root, 'root') : html`<div class="note">This message is not available.</div>`}
        ${replies.length === 0 ? html`<div class="note">No replies yet.</div>` : replies.map((m) => this.renderMessage(m, 'reply'))}
      </div>
      ${this.errorText ? html`<div class="error" role="alert">${this.errorText}</div>` : nothing}
      ${canWrite
        ? html`<form part="composer" class="composer" @submit=${this.onSubmit}>
            ${this.mentions.render(() => this.input)}
            <textarea aria-label="Reply in thread" placeholder="Reply…" aria-autocomplete="list" aria-haspopup="listbox"
              aria-controls=${this.mentions.listId} aria-activedescendant=${this.mentions.aria.activedescendant}
              @keydown=${this.onKeyDown} @input=${this.onInput} @blur=${() => this.mentions.close()}></textarea>
            <div class="send-row">
              <label><input type="checkbox" /> Also send to the conversation</label>
              <button type="submit">Reply</button>
            </div>
          </form>`
        : nothing}
    `;
  }

  protected override updated(): void {
    this.markRead();
  }

  private renderMessage(m: MessageView, kind: 'root' | 'reply'): TemplateResult {
    const name = m.mine ? 'You' : this.subscription.state?.profiles.get(m.author)?.name || m.author;
    return html`<div class="msg ${kind}" data-id=${m.id} part=${kind === 'root' ? 'root' : 'reply'}>
      <span class="author">${name}</span>
      <time datetime=${new Date(m.createdAt).toISOString()}>${timeLabel(m.createdAt)}</time>
      ${m.alsoInMain ? html`<span class="note"> · also in the conversation</span>` : nothing}
      <div class=${m.deleted ? 'deleted' : 'text'}>${m.deleted ? 'This message was deleted.' : renderMessageText(m, this.mentionContext())}</div>
      ${m.status === 'failed' ? html`<div class="error">Not sent${m.error ? `: ${m.error}` : ''}</div>` : nothing}
    </div>`;
  }

  /** Marks the thread read up to its latest reply once shown (the core defers nothing here: the panel is what the user reads). */
  private markRead(): void {
    const state = this.subscription.state;
    const conversation = this.conversation;
    if (!conversation || !state || !this.root || state.closed || state.role === 'read') return;
    const summary = state.threads.find((t) => t.root === this.root);
    if (!summary || summary.unread === 0 || summary.lastReplyId === this.lastMarked) return;
    this.lastMarked = summary.lastReplyId;
    try {
      conversation.markThreadRead(this.root);
    } catch (error) {
      this.errorText = error instanceof Error ? error.message : String(error);
    }
  }

  /** Highlighting needs the reader and people's names as the text shows them. */
  private mentionContext(): { selfId: string; nameOf(id: string): string } | undefined {
    const state = this.subscription.state;
    return state && { selfId: state.userId, nameOf: (id) => state.profiles.get(id)?.name || id };
  }

  private onInput(event: Event): void {
    this.mentions.update(event.target as HTMLTextAreaElement);
  }

  private onKeyDown(event: KeyboardEvent): void {
    if (!event.isComposing && this.mentions.keydown(event, event.target as HTMLTextAreaElement)) return;
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void this.send();
    } else if (event.key === 'Escape') this.close();
  }

  private onSubmit(event: Event): void {
    event.preventDefault();
    void this.send();
  }

  private async send(): Promise<void> {
    const text = this.input?.value ?? '';
    if (!this.conversation || !this.root || text.trim() === '') return;
    const mentions = this.mentions.mentionsFor(text);
    try {
      await this.conversation.replyInThread(this.root, text, { alsoInMain: this.alsoInMain?.checked === true, ...(mentions.length > 0 ? { mentions } : {}) });
      this.mentions.reset();
      if (this.input) this.input.value = '';
      if (this.alsoInMain) this.alsoInMain.checked = false;
      this.errorText = '';
    } catch (error) {
      this.errorText = error instanceof Error ? error.message : String(error);
    }
  }

  private close(): void {
    this.dispatchEvent(new CustomEvent('chat-thread-close', { detail: { root: this.root }, bubbles: true, composed: true }));
  }
}
