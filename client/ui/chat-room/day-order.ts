// Day separators that never go back in time: each row's separator day is the latest message time up to it.
import type { MessageView } from '../../index.js';

/**
 * For each message, the latest `createdAt` among it and every message above it. A message written offline
 * yesterday and synced today lands after today's messages; by this measure it belongs to today's section
 * (where it sits) instead of opening a "Yesterday" section below "Today". One pass, O(n).
 */
export function separatorTimes(messages: readonly MessageView[]): Float64Array {
  const times = new Float64Array(messages.length);
  let latest = -Infinity;
  for (let i = 0; i < messages.length; i++) {
    latest = Math.max(latest, messages[i]!.createdAt);
    times[i] = latest;
  }
  return times;
}
