// Applies a user's pending conversation listings (listing-journal.ts) to their account document as it loads.
import type { Logger } from 'pino';
import { ACCOUNT_PREFIX, CONVERSATIONS, RELAY_STATE, type ConversationEntry } from '../../shared/account.js';
import type { Room } from '../room.js';
import type { ListingJournal } from './listing-journal.js';
import { listingWrite, relayWrite } from './relay-writes.js';

/** Key in the account document's relay-only map: how far the journal was applied (`{ journal, seq }`). */
export const LISTINGS_APPLIED = 'listings';

/** The sequence number up to which the journal with `epoch` was applied to `room` (0: none of it). */
const appliedThrough = (room: Room, epoch: string): number => {
  const marker = room.doc.getMap<unknown>(RELAY_STATE).get(LISTINGS_APPLIED) as { journal?: unknown; seq?: unknown } | undefined;
  return marker?.journal === epoch && typeof marker.seq === 'number' ? marker.seq : 0;
};

/**
 * The room manager's hook for a freshly loaded room (run before anyone gets it): for an account document with
 * pending listings, waits until their appends are durable (so a sequence number stored in the document is never
 * handed out again after a crash), then applies them in order as one relay write that also stores the last
 * applied sequence number. Records at or below the number already stored were applied before a crash and are
 * skipped. Once the write is durable the journal may drop them; if the room closed first they stay pending.
 */
export const createListingApplier = (journal: ListingJournal, log: Logger) => (room: Room): Promise<void> | undefined => {
  // Most loads (conversations, accounts with nothing pending) return at once, without a promise.
  if (!room.name.startsWith(ACCOUNT_PREFIX) || !journal.hasPending(room.name)) return undefined;
  return journal.settled().then(() => apply(journal, log, room));
};

const apply = (journal: ListingJournal, log: Logger, room: Room): void => {
  const taken = journal.take(room.name);
  if (!taken) return;
  try {
    const through = appliedThrough(room, journal.epoch);
    const last = taken.listings.reduce((max, l) => Math.max(max, l.seq), through);
    // All applied before (a crash or an unload came before the journal dropped them): the stored document has them.
    if (last === through) {
      journal.applied(taken);
      return;
    }
    relayWrite(room, (doc) => {
      const list = doc.getMap<ConversationEntry>(CONVERSATIONS);
      for (const listing of taken.listings) {
        if (listing.seq > through) listingWrite(list, listing.room, listing.entry, listing.keepJoinedAt)?.();
      }
      doc.getMap<unknown>(RELAY_STATE).set(LISTINGS_APPLIED, { journal: journal.epoch, seq: last });
    });
    // A room closed meanwhile may have failed to store the write (a failure closes it too): keep the records
    // pending then; applying them again on the next load is skipped by the stored sequence number if it was stored.
    room.flush().then(
      () => (room.closing ? journal.restore(taken) : journal.applied(taken)),
      () => journal.restore(taken),
    );
  } catch (error) {
    journal.restore(taken);
    log.warn({ err: error, room: room.name }, 'applying pending conversation listings failed; they stay pending');
  }
};
