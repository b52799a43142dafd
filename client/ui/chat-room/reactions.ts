// Groups every reaction of a conversation by message in one pass (the shared model's reactionsSummary is per message).
import type * as Y from 'yjs';
import { parseReactionKey } from '../../../shared/schema.js';
import type { ReactionGroup } from './message-row.js';

/**
 * Reactions by message id, each list ordered like the shared model's `reactionsSummary` (most used first,
 * ties by emoji) so every replica shows the same order. One pass over the map, whatever the history length.
 */
export function groupReactions(doc: Y.Doc, viewerId: string): Map<string, ReactionGroup[]> {
  const byMessage = new Map<string, Map<string, string[]>>();
  for (const key of doc.getMap<true>('reactions').keys()) {
    const parts = parseReactionKey(key);
    if (!parts) continue;
    let groups = byMessage.get(parts.messageId);
    if (!groups) byMessage.set(parts.messageId, (groups = new Map()));
    const users = groups.get(parts.emoji) ?? [];
    users.push(parts.userId);
    groups.set(parts.emoji, users);
  }
  const result = new Map<string, ReactionGroup[]>();
  for (const [id, groups] of byMessage) {
    result.set(
      id,
      [...groups]
        .map(([emoji, users]) => ({ emoji, count: users.length, users: users.sort(), mine: users.includes(viewerId) }))
        .sort((a, b) => b.count - a.count || (a.emoji < b.emoji ? -1 : a.emoji > b.emoji ? 1 : 0)),
    );
  }
  return result;
}
