// Row heights for the virtualized history: measured heights by message id, estimates for the rest, prefix sums.

/** The rows to put in the DOM: `start` inclusive, `end` exclusive, and the space the others take above and below. */
export interface RowWindow {
  start: number;
  end: number;
  before: number;
  after: number;
}

/**
 * Keeps each row's measured height (rows never shown use an estimate) and answers "which rows cover this
 * scroll range" by binary search over prefix sums. Prefix sums are rebuilt only when the ids or a height
 * change, so scrolling through 10,000 rows costs a search, not a pass.
 */
export class HeightIndex {
  private readonly measured = new Map<string, number>();
  private ids: readonly string[] = [];
  private offsets = new Float64Array(1);
  private dirty = true;

  constructor(private estimate = 64) {}

  /** Sets the rows in order (same array again is a no-op). */
  setIds(ids: readonly string[]): void {
    if (ids === this.ids) return;
    this.ids = ids;
    this.dirty = true;
  }

  /** Records a row's rendered height; returns whether it differs from what was assumed. */
  measure(id: string, height: number): boolean {
    const previous = this.measured.get(id) ?? this.estimate;
    if (Math.abs(previous - height) < 0.5 && this.measured.has(id)) return false;
    this.measured.set(id, height);
    this.dirty = true;
    return Math.abs(previous - height) >= 0.5;
  }

  /** Forgets every measurement (the width changed, so every row may wrap differently). */
  reset(): void {
    if (this.measured.size > 0) {
      // Keep the average as the new estimate: it is closer than the default for this conversation.
      let sum = 0;
      for (const h of this.measured.values()) sum += h;
      this.estimate = sum / this.measured.size;
    }
    this.measured.clear();
    this.dirty = true;
  }

  get total(): number {
    return this.prefix()[this.ids.length] ?? 0;
  }

  /** Offset of row `index` from the top of the list. */
  offsetOf(index: number): number {
    return this.prefix()[Math.max(0, Math.min(index, this.ids.length))] ?? 0;
  }

  /** The rows that intersect [top - overscan, top + height + overscan]. */
  window(top: number, height: number, overscan: number): RowWindow {
    const offsets = this.prefix();
    const count = this.ids.length;
    if (count === 0) return { start: 0, end: 0, before: 0, after: 0 };
    const start = Math.max(0, this.indexAt(Math.max(0, top - overscan)));
    const end = Math.min(count, this.indexAt(top + height + overscan) + 1);
    return { start, end, before: offsets[start]!, after: offsets[count]! - offsets[end]! };
  }

  /** The index of the row containing offset `y` (clamped to the last row). */
  indexAt(y: number): number {
    const offsets = this.prefix();
    let lo = 0;
    let hi = this.ids.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (offsets[mid]! <= y) lo = mid;
      else hi = mid - 1;
    }
    return Math.max(0, lo);
  }

  private prefix(): Float64Array {
    if (!this.dirty) return this.offsets;
    const count = this.ids.length;
    if (this.offsets.length !== count + 1) this.offsets = new Float64Array(count + 1);
    let sum = 0;
    for (let i = 0; i < count; i++) {
      this.offsets[i] = sum;
      sum += this.measured.get(this.ids[i]!) ?? this.estimate;
    }
    this.offsets[count] = sum;
    this.dirty = false;
    return this.offsets;
  }
}
