// The thread list of <chat-room>: every thread of the conversation, most recent reply first, with unread counts.
import { html, type TemplateResult } from 'lit';
import type { ThreadSummary } from '../../../shared/conversation.js';
import type { MessageView } from '../../index.js';
import { excerpt } from '../shared/format.js';
import { icon } from '../shared/icons.js';
import { ago } from './thread-summary.js';

export interface ThreadListContext {
  threads: readonly ThreadSummary[];
  /** The root message of a thread, when known. */
  rootOf(id: string): MessageView | undefined;
  nameOf(userId: string): string;
  open(root: string): void;
  close(): void;
}

/** A panel listing the threads; choosing one opens it. */
export function renderThreadList(ctx: ThreadListContext): TemplateResult {
  return html`<div class="thread-list" part="thread-list" role="region" aria-label="Threads">
    <header>
      <span>Threads</span>
      <button type="button" aria-label="Close the thread list" @click=${ctx.close}>${icon('close')}</button>
    </header>
    <ul>
      ${ctx.threads.map((t) => {
        const root = ctx.rootOf(t.root);
        return html`<li>
          <button type="button" data-root=${t.root} @click=${() => ctx.open(t.root)}>
            <span class="thread-root"><b>${root ? ctx.nameOf(root.author) : ''}</b> ${root ? (root.deleted ? 'Message deleted' : excerpt(root.text, 80)) : ''}</span>
            <span class="thread-meta">${t.replies} ${t.replies === 1 ? 'reply' : 'replies'} · last reply ${ago(t.lastReplyAt)}${t.unread > 0 ? html` · <b class="thread-unread">${t.unread} new</b>` : ''}</span>
          </button>
        </li>`;
      })}
    </ul>
  </div>`;
}
