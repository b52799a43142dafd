// Judges one decoded update with the shared conversation rules: pure, testable on a plain Y.Doc without a relay.
import * as Y from 'yjs';
import { ensure } from '../shared/errors.js';
import {
  checkCanWrite, checkClientOwner, checkReceiptCount, checkRecordCount, checkEntriesReplaced, checkMeta, checkPin, checkPinCount,
  checkRecordId, checkPlace, checkReactionTarget, checkReceiptEntry, checkReceiptProgress, checkRecordRemoval,
  checkRecordsReplaced, checkRemoval, checkRevision, checkProfile, checkThreadReads, checkUnseenRecord, checkWriteAccess,
  type MessageLookup,
} from '../shared/rules.js';
import { getMeta } from '../shared/queries.js';
import { LIMITS, type MessageRecord, type ReceiptEntry, type RoomKind, type Writer } from '../shared/schema.js';
import { furthestReceipt, parseUserArrayName, userEntries } from '../shared/user-entries.js';
import { supersedes } from '../shared/message-log.js';
import { checkAttachmentBlobs, type BlobLookup } from '../shared/attachments.js';
import { checkMentionMembers, mentionableIn } from '../shared/mentions.js';
import type { MessageIndex } from './message-index.js';
import type { ReceiptMarks } from './receipt-marks.js';
import type { StructInsert, UpdateStructure } from './update-structure.js';

/** What the judge reads besides the update: the room's document, its message index and its client identities. */
export interface JudgeContext {
  doc: Y.Doc;
  index: MessageIndex;
  /** Each user's furthest receipt marks (receipt-marks.ts). */
  receipts: ReceiptMarks;
  /** The owner of a client id: a user id, `{ relay: true }` for the relay's own ids, or undefined when unbound. */
  ownerOf(client: number): string | { relay: true } | undefined;
  /** The room's stored blobs: attachments may only name these. Without it, blob ids are not checked. */
  blobs?: BlobLookup;
}

/** The judge's verdict on an update it accepts: the client ids to bind to the writer before applying it. */
export interface Judgement {
  newClients: Set<number>;
}

/**
 * Checks every struct and deletion of `structure` against the shared rules, as `writer`. Throws a RuleError
 * naming the first rule broken; returns the client ids seen for the first time. Never writes the document.
 */
export function judgeUpdate(structure: UpdateStructure, writer: Writer, { doc, index, receipts, ownerOf, blobs }: JudgeContext): Judgement {
  checkCanWrite(writer);
  const newClients = new Set<number>();
  for (const client of structure.writers) {
    const owner = ownerOf(client);
    checkClientOwner(client, owner, writer);
    if (owner === undefined) newClients.add(client);
  }

  // The winning record of each message this update writes, so that its other structs can refer to them.
  const pending = new Map<string, MessageRecord>();
  const lookup: MessageLookup = { get: (id) => pending.get(id) ?? index.get(id), compare: index.compare };

  // Messages first, all of them: an update written offline may react to, reply to or receipt a message whose
  // records come later in it (a tombstone written after the reaction, the original already deleted).
  const records: MessageRecord[] = [];
  const insertedIds = new Map<string, number>();
  for (const { item, offset, root, sub } of structure.inserts) {
    checkPlace(root, sub);
    if (root !== 'messages' || !(item.content instanceof Y.ContentAny)) continue;
    for (const record of item.content.arr.slice(offset) as MessageRecord[]) {
      // Fully checked once, below (checkRevision / checkUnseenRecord): any bad record refuses the whole update.
      checkRecordId(record);
      records.push(record);
      const current = pending.get(record.id) ?? index.get(record.id);
      if (!current || supersedes(record, current)) pending.set(record.id, record);
      const inserted = (insertedIds.get(record.id) ?? 0) + 1;
      insertedIds.set(record.id, inserted);
      // Removals only take live records away: past the limit here, the update is refused whatever it deletes.
      if (inserted > LIMITS.recordsPerMessage) checkRecordCount(record.id, 0, inserted, 0);
    }
  }
  // Mentions name members of the room as it stands (roster and profiles): at most LIMITS.mentions O(1) lookups a record.
  const members = mentionableIn(doc);
  for (const record of records) {
    const existing = index.get(record.id);
    if (existing) checkRevision(existing, record, writer, { concurrent: true });
    else checkUnseenRecord(record, writer, lookup);
    // Attachments may only name files stored for this conversation.
    if (blobs && record.attachments !== undefined) checkAttachmentBlobs(record.attachments, blobs);
    checkMentionMembers(record, members);
  }

  // Per-user receipt entries this update removes and adds, to check that the user's furthest marks hold.
  const receiptChanges = new Map<string, { removed: Set<unknown>; added: ReceiptEntry[] }>();
  const receiptChange = (user: string) =>
    receiptChanges.get(user) ?? receiptChanges.set(user, { removed: new Set(), added: [] }).get(user)!;
  const refilledRoots = new Set<string>();
  // Pins are judged against the room's kind as it stands (only admins change it); their number is bounded.
  const kind = getMeta(doc).kind;
  const pins = { added: new Set<string>(), removed: new Set<string>() };
  const context: InsertContext = { writer, lookup, kind, refilledRoots, receiptChange, receipts, pinsAdded: pins.added };
  for (const insert of structure.inserts) judgeInsert(insert, context);

  // The delete set: each removed item must be the writer's to remove, and messages are only ever replaced.
  const removedRecords = new Map<string, number>();
  const emptiedRoots = new Set<string>();
  for (const { item, from, to, root, sub } of structure.deletions) {
    const perUser = parseUserArrayName(root);
    if (root === 'messages') {
      ensure(item.content instanceof Y.ContentAny, 'forbidden-delete');
      for (let offset = from; offset < to; offset++) {
        const record = item.content.arr[offset] as MessageRecord;
        checkRecordRemoval(record, writer);
        removedRecords.set(record.id, (removedRecords.get(record.id) ?? 0) + 1);
      }
      continue;
    }
    checkRemoval(root, sub, writer, lookup, kind);
    if (root === 'pins' && sub !== null) pins.removed.add(sub);
    if (!perUser) continue;
    emptiedRoots.add(root);
    if (perUser.kind === 'receipts' && item.content instanceof Y.ContentAny) {
      for (const entry of item.content.arr.slice(from, to)) receiptChange(perUser.user).removed.add(entry);
    }
  }
  for (const [id, count] of removedRecords) checkRecordsReplaced(id, insertedIds.has(id), index.recordCount(id), count);
  for (const [id, inserted] of insertedIds) checkRecordCount(id, index.recordCount(id), inserted, removedRecords.get(id) ?? 0);
  for (const root of emptiedRoots) checkEntriesReplaced(root, refilledRoots.has(root));
  if (pins.added.size > 0) {
    const live = new Set(doc.share.has('pins') ? doc.getMap('pins').keys() : []);
    for (const id of pins.removed) live.delete(id);
    for (const id of pins.added) live.add(id);
    checkPinCount(live.size);
  }
  for (const [user, { removed, added }] of receiptChanges) {
    checkReceiptCount(user, receipts.liveCount(user), added.length, removed.size);
    // Judge the user's marks as they will stand: a device lagging behind another may add a lower entry
    // alongside a higher one (the furthest counts), but no update may leave the user further back.
    // Entries are bounded by the count just checked, and each comparison is O(1) (message-index.ts).
    const kept = removed.size === 0 ? [] : userEntries<ReceiptEntry>(doc, 'receipts', user).filter((entry) => !removed.has(entry));
    const standing = removed.size === 0 ? [receipts.furthest(user), ...added] : [...kept, ...added];
    checkReceiptProgress(receipts.furthest(user), furthestReceipt(standing, lookup), index);
  }
  return { newClients };
}

/** What judging an insert reads and where it records what later checks need. */
interface InsertContext {
  writer: Writer;
  lookup: MessageLookup;
  kind: RoomKind;
  refilledRoots: Set<string>;
  receiptChange: (user: string) => { added: ReceiptEntry[] };
  receipts: ReceiptMarks;
  pinsAdded: Set<string>;
}

/** One inserted struct other than message records: who may write there, and what. */
function judgeInsert({ item, offset, root, sub }: StructInsert, context: InsertContext): void {
  const { writer, lookup, kind, refilledRoots, receiptChange, receipts } = context;
  const content = item.content;
  if (content instanceof Y.ContentDeleted) {
    // Inserted and deleted before it was sent: only who may write there matters.
    checkWriteAccess(root, sub, writer, lookup, kind);
    return;
  }
  ensure(content instanceof Y.ContentAny, 'bad-record', `content of type ${content.constructor.name}`);
  if (root === 'messages') return;
  const perUser = parseUserArrayName(root);
  const values = content.arr.slice(offset);
  if (perUser) {
    for (const entry of values) {
      if (perUser.kind === 'receipts') {
        const { added } = receiptChange(perUser.user);
        added.push(entry);
        // An update removes at most the live entries: this many added ones break the limit whatever it deletes.
        const live = receipts.liveCount(perUser.user);
        if (added.length > live + LIMITS.receiptEntries) checkReceiptCount(perUser.user, live, added.length, live);
        checkReceiptEntry(perUser.user, entry, writer, lookup);
      } else if (perUser.kind === 'members') checkProfile(perUser.user, entry, writer);
      else checkThreadReads(perUser.user, entry, writer);
    }
    refilledRoots.add(root);
    return;
  }
  for (const value of values) {
    if (root === 'reactions') checkReactionTarget(sub!, value, writer, lookup);
    else if (root === 'pins') {
      checkPin(sub!, value, writer, kind, lookup);
      context.pinsAdded.add(sub!);
    } else checkMeta(sub!, value, writer);
  }
}
