// Direct conversations: the room of a pair is known offline (derived from both ids), and made on the relay when online.
import { directRoomName } from '../../shared/roster.js';
import type { MembershipApi, MembershipError } from './api.js';

/**
 * The direct conversation between `me` and `other`: `room` is known at once (both sides compute the same name,
 * offline too), so the conversation can be opened and written to right away; `ready` resolves once the relay
 * has it (created by whichever side asked first) and rejects with a `MembershipError` if it refuses (e.g. a
 * pair of one user: `direct-pair`). Messages written before that wait in the conversation's outbox.
 */
export async function openDirect(api: MembershipApi, me: string, other: string): Promise<{ room: string; ready: Promise<void> }> {
  const room = await directRoomName(me, other);
  const ready = (async () => {
    // Offline: keep asking (1 s doubling to 30 s) until the relay answers; its answer, yes or no, is final.
    for (let delay = 1000; ; delay = Math.min(delay * 2, 30_000)) {
      try {
        await api.createConversation({ kind: 'direct', members: [other] });
        return;
      } catch (error) {
        if ((error as MembershipError).code !== 'network') throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  })();
  ready.catch(() => undefined);
  return { room, ready };
}
