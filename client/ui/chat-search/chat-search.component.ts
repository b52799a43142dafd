// The <chat-search> class (registered by chat-search.ts): a search field whose results stream in as the user types.
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import type { Conversation } from '../../index.js';
import { openLocalSearch, type LocalSearch } from '../../search/local-search.js';
import { hasWords, parseSearchInput } from '../../search/query-syntax.js';
import type { SearchHit, SearchRequest } from '../../search/search-types.js';
import { dayLabel, timeLabel } from '../shared/format.js';
import { themeStyles } from '../shared/theme.js';
import { chatSearchStyles } from './chat-search.styles.js';
import { emit } from './chat-search.events.js';
import { SearchController } from './search-controller.js';

/** Characters of context shown around the first highlighted word of a long message. */
const CONTEXT = 90;

/**
 * Searches the messages cached on this device: `<chat-search .search=${openLocalSearch({ userId })}>`.
 * Words match words and their beginnings, ignoring case and accents; `from:`, `in:`, `has:file`,
 * `before:`/`after:`/`on:YYYY-MM-DD` filter. Arrow keys move through the results, Enter opens one.
 *
 * @fires chat-search-select - the user chose a result
 * @fires chat-search-results - results for the current text arrived
 * @fires chat-search-close - the user pressed Escape
 * @csspart input - the search field
 * @csspart results - the list of results
 */
export class ChatSearch extends LitElement {
  static override styles = [themeStyles, chatSearchStyles];

  /** The local search to ask (from `openLocalSearch`). */
  @property({ attribute: false }) search?: LocalSearch;

  /**
   * A conversation to keep in the index while the element is shown; without `search`, the element asks that
   * conversation's user's local search (`openLocalSearch`).
   */
  @property({ attribute: false }) conversation?: Conversation;

  /** Only search this conversation (in-conversation search). */
  @property() room?: string;

  /** Placeholder of the field. */
  @property() placeholder = 'Search messages';

  /** Most results shown. */
  @property({ type: Number }) limit = 50;

  /** `light`, `dark`, or `auto`. */
  @property({ reflect: true }) theme: 'auto' | 'light' | 'dark' = 'auto';

  /** A user's display name (default: the id). */
  @property({ attribute: false }) nameOf?: (userId: string) => string;

  /** A conversation's title (default: the room name). Results show it unless `room` is set. */
  @property({ attribute: false }) roomTitle?: (room: string) => string;

  /** `from:` → user id (names typed by the user); default: taken as typed. */
  @property({ attribute: false }) resolveAuthor?: (name: string) => string | undefined;

  @state() private text = '';
  @state() private active = 0;

  @query('input') private input!: HTMLInputElement | null;

  private readonly results = new SearchController(this, (response, request) => {
    this.active = 0;
    emit(this, 'chat-search-results', { query: request.text, total: response.total });
  });

  /** Focuses the field (selecting what is in it). */
  override focus(): void {
    this.input?.focus();
    this.input?.select();
  }

  /** Sets the text searched for, as if typed. */
  setQuery(text: string): void {
    this.text = text;
    this.run();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('search') || changed.has('conversation')) {
      const conversation = this.conversation;
      const search = this.search ?? (conversation ? openLocalSearch({ userId: conversation.user.id }) : undefined);
      if (conversation && !conversation.getState().closed) search?.watch(conversation.room, conversation.doc);
      this.results.use(search);
    }
    if ((changed.has('room') || changed.has('limit')) && this.text) this.run();
  }

  protected override render(): TemplateResult {
    const response = this.results.response;
    const hits = response?.hits ?? [];
    return html`
      <form role="search" @submit=${(e: Event) => e.preventDefault()}>
        <input
          part="input"
          type="search"
          .value=${this.text}
          placeholder=${this.placeholder}
          aria-label=${this.placeholder}
          role="combobox"
          aria-expanded=${hits.length > 0 ? 'true' : 'false'}
          aria-controls="results"
          aria-activedescendant=${hits.length > 0 ? `hit-${this.active}` : nothing}
          autocomplete="off"
          spellcheck="false"
          @input=${this.onInput}
          @keydown=${this.onKeyDown}
        />
      </form>
      ${this.renderStatus()}
      <ol id="results" part="results" role="listbox" aria-label="Search results">
        ${hits.map((hit, i) => this.renderHit(hit, i))}
      </ol>
    `;
  }

  private renderStatus(): TemplateResult | typeof nothing {
    const { response, error, answered } = this.results;
    let text = '';
    if (error) text = `Search is unavailable: ${error}`;
    else if (!this.text.trim()) return nothing;
    else if (!response || !answered) text = 'Searching…';
    else if (response.terms.length === 0 && response.ignored.length > 0) text = `Too common to search: ${response.ignored.join(', ')}`;
    else if (response.total === 0) text = 'No messages found';
    else text = `${response.total} ${response.total === 1 ? 'message' : 'messages'}${response.total > response.hits.length ? ` (best ${response.hits.length} shown)` : ''}`;
    if (response?.truncated) text += ' — only the beginning of the query was used';
    return html`<div class="status" role="status">${text}</div>`;
  }

  private renderHit(hit: SearchHit, index: number): TemplateResult {
    const name = this.nameOf?.(hit.author) ?? hit.author;
    return html`
      <li
        id=${`hit-${index}`}
        role="option"
        aria-selected=${index === this.active ? 'true' : 'false'}
        data-room=${hit.room}
        data-message=${hit.messageId}
        @click=${() => this.select(index)}
      >
        <div class="where">
          <span class="author">${name}</span>
          ${this.room === undefined ? html`<span class="room">${this.roomTitle?.(hit.room) ?? hit.room}</span>` : nothing}
          ${hit.threadRoot !== undefined ? html`<span class="thread">in a thread</span>` : nothing}
          <time datetime=${new Date(hit.createdAt).toISOString()}>${dayLabel(hit.createdAt)} ${timeLabel(hit.createdAt)}</time>
        </div>
        <div class="text">${highlight(hit)}</div>
      </li>
    `;
  }

  private onInput(event: Event): void {
    this.text = (event.target as HTMLInputElement).value;
    this.run();
  }

  private run(): void {
    const request: SearchRequest = {
      ...parseSearchInput(this.text, this.resolveAuthor ? { resolveAuthor: this.resolveAuthor } : {}),
      limit: this.limit,
    };
    if (this.room !== undefined) request.room = this.room;
    this.results.update(hasWords(request) ? request : undefined);
  }

  private onKeyDown(event: KeyboardEvent): void {
    const count = this.results.response?.hits.length ?? 0;
    if (event.key === 'ArrowDown' && count > 0) {
      this.active = (this.active + 1) % count;
      event.preventDefault();
    } else if (event.key === 'ArrowUp' && count > 0) {
      this.active = (this.active - 1 + count) % count;
      event.preventDefault();
    } else if (event.key === 'Enter') {
      if (count > 0) this.select(this.active);
      event.preventDefault();
    } else if (event.key === 'Escape') {
      emit(this, 'chat-search-close', {});
      event.preventDefault();
    } else return;
    this.renderRoot.querySelector(`#hit-${this.active}`)?.scrollIntoView({ block: 'nearest' });
  }

  private select(index: number): void {
    const hit = this.results.response?.hits[index];
    if (!hit) return;
    this.active = index;
    emit(this, 'chat-search-select', {
      room: hit.room,
      messageId: hit.messageId,
      ...(hit.threadRoot !== undefined ? { threadRoot: hit.threadRoot } : {}),
    });
  }
}

/** The hit's text with its matched words in <mark>, cut around the first match when long. */
function highlight(hit: SearchHit): TemplateResult[] {
  const { text, highlights } = hit;
  const first = highlights[0]?.[0] ?? 0;
  const start = text.length > CONTEXT * 2 && first > CONTEXT ? first - CONTEXT : 0;
  const end = Math.min(text.length, start + CONTEXT * 3);
  const parts: TemplateResult[] = [];
  let at = start;
  if (start > 0) parts.push(html`…`);
  for (const [from, to] of highlights) {
    if (to <= at || from >= end) continue;
    parts.push(html`${text.slice(at, from)}<mark>${text.slice(Math.max(from, at), to)}</mark>`);
    at = to;
  }
  parts.push(html`${text.slice(at, end)}${end < text.length ? '…' : ''}`);
  return parts;
}
