// Order statistics used by every scenario: percentiles of samples and medians across runs.

/** The p-th percentile (0–100) by nearest rank; NaN for no samples. */
export const percentile = (samples: readonly number[], p: number): number => {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
};

/** The median, ignoring NaN (a run that could not measure); NaN when nothing is left. */
export const median = (values: readonly number[]): number => {
  const finite = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
};

export const max = (samples: readonly number[]): number =>
  samples.reduce((a, b) => (b > a ? b : a), samples.length === 0 ? Number.NaN : -Infinity);
