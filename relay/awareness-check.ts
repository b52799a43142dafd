// What a peer may publish as awareness: states that carry its token's name and stay small (the room checks the rest).
import type { AwarenessEntry } from './protocol-messages.js';

/*
 * Presence and typing indicators show `user.name` from awareness states, so a state must carry the name the
 * relay can vouch for: the token's `name` claim (or `sub` when the token has none, as the client falls back to
 * too). The token is chosen over a profile name because it is the only identity the relay verifies; a client
 * showing another name must get a token carrying it. The room (room.ts) checks ownership of client ids and
 * `user.id`. A state is at most `maxStateBytes` of JSON: every peer receives every state.
 */

/** Why an entry was dropped, counted in `parley_refusals_total{reason}`. */
export type AwarenessEntryRefusal = 'awareness-name' | 'awareness-too-large';

/**
 * Splits `entries` into those the peer may publish and the refusal reasons of the others. Removals (null
 * states) are always let through to the room, which checks ownership.
 */
export const checkAwarenessEntries = (
  entries: AwarenessEntry[],
  userId: string,
  userName: string,
  maxStateBytes: number,
): { accepted: AwarenessEntry[]; refused: AwarenessEntryRefusal[] } => {
  const accepted: AwarenessEntry[] = [];
  const refused: AwarenessEntryRefusal[] = [];
  for (const entry of entries) {
    if (entry.state === null) {
      accepted.push(entry);
      continue;
    }
    // JSON text length in UTF-16 units bounds the bytes from below; Buffer.byteLength only when near the limit.
    if (entry.json.length > maxStateBytes || (entry.json.length * 3 > maxStateBytes && Buffer.byteLength(entry.json) > maxStateBytes)) {
      refused.push('awareness-too-large');
      continue;
    }
    const user = (entry.state as { user?: { id?: unknown; name?: unknown } } | undefined)?.user;
    // A state for another user id is the room's to refuse (awareness-identity); here: the right id, another name.
    // A state without a name impersonates no one (the UI then shows the id).
    if (typeof entry.state === 'object' && user?.id === userId && user.name !== undefined && user.name !== userName) {
      refused.push('awareness-name');
      continue;
    }
    accepted.push(entry);
  }
  return { accepted, refused };
};
