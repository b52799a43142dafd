// The virtualized message list of <chat-room>: which rows are in the DOM, following the newest message, and scroll anchoring.
import { html, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { styleMap } from 'lit/directives/style-map.js';
import type { MessageView } from '../../index.js';
import { HeightIndex } from './height-index.js';

const ESTIMATED_ROW_PX = 64;
const OVERSCAN_PX = 600;
const BOTTOM_SLACK_PX = 48;

/** Renders one message row (`previous` is the message above it, `index` its position in the history). */
export type RowRenderer = (message: MessageView, previous: MessageView | undefined, index: number) => TemplateResult;

/**
 * Keeps only the visible rows (plus overscan) of a long history in the DOM, measured after each render
 * into a `HeightIndex`; follows the newest message while the view is at the bottom; otherwise keeps the
 * first visible row where it is on screen when rows above are inserted or re-measured (anchoring).
 * The host renders `render()` inside its scrolling `log` element and forwards that element's `scroll` events.
 */
export class HistoryController implements ReactiveController {
  /** Follow the newest message (the view is at the bottom). */
  stick = true;
  private readonly heights = new HeightIndex(ESTIMATED_ROW_PX);
  private ids: string[] = [];
  private idsOf: readonly MessageView[] | undefined;
  private byIdMap = new Map<string, MessageView>();
  private indexOfMap = new Map<string, number>();
  private scrollTop = 0;
  private viewport = 0;
  private anchor: { id: string; offset: number } | undefined;
  private resizeObserver: ResizeObserver | undefined;
  private observed: HTMLElement | undefined;
  private lastWidth = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    /** The scrolling element, once rendered. */
    private readonly log: () => HTMLElement | null | undefined,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.resizeObserver?.disconnect();
    this.resizeObserver = undefined;
    this.observed = undefined;
  }

  /** Before each render: remember where the first visible row is, so rows measured or inserted above do not move it. */
  hostUpdate(): void {
    this.anchor = undefined;
    const log = this.log();
    if (!log || this.stick) return;
    for (const row of log.querySelectorAll<HTMLElement>('.row')) {
      if (row.offsetTop + row.offsetHeight > log.scrollTop) {
        this.anchor = { id: row.dataset.id!, offset: row.offsetTop - log.scrollTop };
        break;
      }
    }
  }

  /** After each render: measure the rows, then stick to the bottom or put the anchor row back where it was. */
  hostUpdated(): void {
    const log = this.log();
    if (!log) return;
    this.observe(log);
    this.viewport = log.clientHeight;
    let remeasure = false;
    for (const row of log.querySelectorAll<HTMLElement>('.row')) {
      if (this.heights.measure(row.dataset.id!, row.offsetHeight)) remeasure = true;
    }
    if (this.stick) {
      log.scrollTop = log.scrollHeight;
    } else if (this.anchor) {
      const row = log.querySelector<HTMLElement>(`.row[data-id="${CSS.escape(this.anchor.id)}"]`);
      if (row) {
        const target = row.offsetTop - this.anchor.offset;
        if (Math.abs(log.scrollTop - target) >= 1) log.scrollTop = target;
      }
    }
    this.scrollTop = log.scrollTop;
    // Spacers were computed with estimates: render again with the measured heights (converges in a pass or two).
    if (remeasure) this.host.requestUpdate();
  }

  /** Forget the anchor and follow the bottom (a new conversation was opened). */
  reset(): void {
    this.stick = true;
    this.anchor = undefined;
  }

  /** The host's `scroll` listener on the log. Returns whether the view is at the bottom. */
  onScroll(): boolean {
    const log = this.log();
    if (!log) return this.stick;
    this.scrollTop = log.scrollTop;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < BOTTOM_SLACK_PX;
    this.stick = atBottom;
    this.host.requestUpdate();
    return atBottom;
  }

  /** Scrolls to the newest message and follows new ones again. */
  scrollToLatest(): void {
    this.stick = true;
    this.host.requestUpdate();
    const log = this.log();
    if (log) log.scrollTop = log.scrollHeight;
  }

  /** Scrolls row `index` into the rendered window (at its estimated offset when it is not rendered yet). */
  reveal(index: number): void {
    const log = this.log();
    if (!log) return;
    this.stick = index === this.ids.length - 1;
    log.scrollTop = this.heights.offsetOf(index);
    this.scrollTop = log.scrollTop;
    this.host.requestUpdate();
  }

  /** The index of the last row at least partly on screen, or -1 before the list was laid out. */
  lastVisibleIndex(): number {
    if (this.viewport === 0 || this.ids.length === 0) return -1;
    return Math.min(this.heights.indexAt(this.scrollTop + this.viewport - 1), this.ids.length - 1);
  }

  /** The message with this id among the last rendered ones. */
  byId(id: string): MessageView | undefined {
    return this.byIdMap.get(id);
  }

  /** The position of message `id` in the history, or -1. */
  indexOf(id: string): number {
    return this.indexOfMap.get(id) ?? -1;
  }

  /** The id of the message at `index`. */
  idAt(index: number): string | undefined {
    return this.ids[index];
  }

  /** The window of rows around the current scroll position, between two spacers that stand for the rest. */
  render(messages: readonly MessageView[], row: RowRenderer): TemplateResult {
    this.setMessages(messages);
    const viewport = this.viewport || 800;
    let top = this.stick ? Math.max(0, this.heights.total - viewport) : this.scrollTop;
    // Rows inserted or re-measured above move the anchor row: render the window around where it is now.
    const anchorIndex = !this.stick && this.anchor ? this.indexOfMap.get(this.anchor.id) : undefined;
    if (anchorIndex !== undefined) top = Math.max(0, this.heights.offsetOf(anchorIndex) - this.anchor!.offset);
    const win = this.heights.window(top, viewport, OVERSCAN_PX);
    const rows = messages.slice(win.start, win.end);
    return html`<div class="spacer" style=${styleMap({ height: `${win.before}px` })}></div>
      ${repeat(
        rows,
        (m) => m.id,
        (m, i) => row(m, messages[win.start + i - 1], win.start + i),
      )}
      <div class="spacer" style=${styleMap({ height: `${win.after}px` })}></div>`;
  }

  /** Indexes a new message list (the same array again is a no-op). */
  setMessages(messages: readonly MessageView[]): void {
    if (this.idsOf === messages) return;
    this.idsOf = messages;
    this.ids = messages.map((m) => m.id);
    this.byIdMap = new Map(messages.map((m) => [m.id, m]));
    this.indexOfMap = new Map(this.ids.map((id, i) => [id, i]));
    this.heights.setIds(this.ids);
  }

  private observe(log: HTMLElement): void {
    if (this.observed === log) return;
    this.resizeObserver?.disconnect();
    this.observed = log;
    this.resizeObserver = new ResizeObserver(() => {
      this.viewport = log.clientHeight;
      if (Math.abs(log.clientWidth - this.lastWidth) > 0.5) {
        // Another width wraps text differently: every measured height is stale.
        if (this.lastWidth !== 0) this.heights.reset();
        this.lastWidth = log.clientWidth;
      }
      this.host.requestUpdate();
    });
    this.resizeObserver.observe(log);
  }
}
