// Reactions grouped by emoji, in the one order every replica shows (most used first, ties by emoji).
import type * as Y from 'yjs';
import { parseReactionKey } from './schema.js';

/** One emoji's reactions to one message: who reacted, how many, and whether the viewer did. */
export interface ReactionGroup {
  emoji: string;
  count: number;
  users: string[];
  mine: boolean;
}

/** Orders one message's emoji → users map; map key order depends on arrival, so it is never used as is. */
function orderGroups(groups: Map<string, string[]>, viewerId: string | undefined): ReactionGroup[] {
  return [...groups]
    .map(([emoji, users]) => ({ emoji, count: users.length, users: users.sort(), mine: viewerId !== undefined && users.includes(viewerId) }))
    .sort((a, b) => b.count - a.count || (a.emoji < b.emoji ? -1 : a.emoji > b.emoji ? 1 : 0));
}

/** Walks the reactions map once; `only` restricts it to one message. */
function collect(doc: Y.Doc, only?: string): Map<string, Map<string, string[]>> {
  const byMessage = new Map<string, Map<string, string[]>>();
  for (const key of doc.getMap<true>('reactions').keys()) {
    const parts = parseReactionKey(key);
    if (!parts || (only !== undefined && parts.messageId !== only)) continue;
    let groups = byMessage.get(parts.messageId);
    if (!groups) byMessage.set(parts.messageId, (groups = new Map()));
    const users = groups.get(parts.emoji) ?? [];
    users.push(parts.userId);
    groups.set(parts.emoji, users);
  }
  return byMessage;
}

/** Reactions of every message by message id, in one pass over the map whatever the history length. */
export function groupReactions(doc: Y.Doc, viewerId?: string): Map<string, ReactionGroup[]> {
  const result = new Map<string, ReactionGroup[]>();
  for (const [id, groups] of collect(doc)) result.set(id, orderGroups(groups, viewerId));
  return result;
}

/** Reactions to one message grouped by emoji, with who reacted and whether `viewerId` did. */
export function reactionsSummary(doc: Y.Doc, id: string, viewerId?: string): ReactionGroup[] {
  const groups = collect(doc, id).get(id);
  return groups ? orderGroups(groups, viewerId) : [];
}
