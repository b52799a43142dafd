// Merging pending listings: one merged record has the effect of applying the records it replaces in order.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CONVERSATIONS, type ConversationEntry } from '../../shared/account.js';
import { mergeListings, type PendingListing } from '../../relay/membership/listing-journal.js';
import { listingWrite } from '../../relay/membership/relay-writes.js';
import { seeded } from '../support/seeded.js';

const apply = (list: Y.Map<ConversationEntry>, listing: PendingListing): void =>
  listingWrite(list, listing.room, listing.entry, listing.keepJoinedAt)?.();

describe('mergeListings', () => {
  it('equals applying the records one by one, from any starting list (400 random sequences)', () => {
    const { next: random } = seeded(13);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    for (let run = 0; run < 400; run++) {
      const start: Array<ConversationEntry | undefined> = [undefined, { kind: 'group', title: 'old', role: 'member', joinedAt: 1 }];
      const initial = pick(start);
      const records: PendingListing[] = [];
      for (let i = 0, n = 1 + Math.floor(random() * 5); i < n; i++) {
        const entry: ConversationEntry | undefined =
          random() < 0.3 ? undefined : { kind: pick(['group', 'direct'] as const), title: pick(['a', 'b']), role: pick(['member', 'admin'] as const), joinedAt: 10 + Math.floor(random() * 5) };
        records.push({ seq: i + 1, room: 'c.room', entry, keepJoinedAt: random() < 0.8 });
      }
      const sequential = new Y.Doc();
      const merged = new Y.Doc();
      for (const doc of [sequential, merged]) if (initial) doc.getMap<ConversationEntry>(CONVERSATIONS).set('c.room', initial);
      for (const record of records) apply(sequential.getMap(CONVERSATIONS), record);
      apply(merged.getMap(CONVERSATIONS), records.reduce((a, b) => mergeListings(a, b)));
      expect(merged.getMap(CONVERSATIONS).toJSON(), JSON.stringify({ initial, records })).toEqual(sequential.getMap(CONVERSATIONS).toJSON());
    }
  });
});
