// Display names in the UI: the member profile first (renames show at once), then the awareness name, then the id.
import type { ConversationState } from '../../index.js';

/** The name to show for `userId` in a conversation. */
export function displayName(state: ConversationState | undefined, userId: string): string {
  return state?.profiles.get(userId)?.name || state?.presence.find((p) => p.id === userId)?.name || userId;
}
