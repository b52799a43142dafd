// "N replies, last reply 5 min ago" under a thread's root in <chat-room>'s history.
import { html, type TemplateResult } from 'lit';
import type { ThreadSummary } from '../../../shared/conversation.js';

/** "just now", "5 min ago", "3 h ago", then a date: how long ago `ts` was. */
export function ago(ts: number, now = Date.now()): string {
  const minutes = Math.floor((now - ts) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return new Date(ts).toLocaleDateString();
}

/** The summary button of a thread; `open` shows the thread panel. */
export function renderThreadSummary(summary: ThreadSummary, open: () => void, tabindex: number): TemplateResult {
  const replies = `${summary.replies} ${summary.replies === 1 ? 'reply' : 'replies'}`;
  const unread = summary.unread > 0 ? `, ${summary.unread} new` : '';
  return html`<button type="button" class="thread-summary" part="thread-summary" tabindex=${tabindex} data-unread=${summary.unread} @click=${open}>
    <b>${replies}${unread}</b> · last reply ${ago(summary.lastReplyAt)}
  </button>`;
}
