// Arrow-key navigation through the messages of <chat-room>: which message a key moves to.

/** The keys that move between messages. */
export const NAVIGATION_KEYS: ReadonlySet<string> = new Set(['ArrowUp', 'ArrowDown', 'Home', 'End']);

/**
 * The index of the message `key` moves to from `current` (-1 when no message is focused: the latest one)
 * among `count` messages, or undefined for a key that does not navigate.
 */
export function navigate(key: string, current: number, count: number): number | undefined {
  if (!NAVIGATION_KEYS.has(key) || count === 0) return undefined;
  if (key === 'Home') return 0;
  if (key === 'End' || current < 0) return count - 1;
  return Math.max(0, Math.min(count - 1, current + (key === 'ArrowUp' ? -1 : 1)));
}
