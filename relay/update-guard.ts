// The conversation guard: checks every incoming update against the room's rules before it is applied, stored or forwarded.
import * as Y from 'yjs';
import { RuleError, ensure } from '../shared/errors.js';
import { CloseCode } from '../shared/close-codes.js';
import {
  checkCanWrite, checkMessageRecord, checkMeta, checkOwnEntry, checkProfile, checkReactionKey, checkReactionValue,
  checkReceiptEntry, checkReceiptProgress, checkRecordRemoval, checkRevision, checkTopLevel, checkUnseenRecord,
  type MessageLookup,
} from '../shared/rules.js';
import { parseReactionKey, type MessageRecord, type ReceiptEntry, type Writer } from '../shared/schema.js';
import { furthestReceipt, parseUserArrayName, userEntries } from '../shared/user-entries.js';
import { supersedes } from '../shared/message-log.js';
import { bindClients, boundUser, relayClients } from './client-bindings.js';
import { createMessageIndex, type MessageIndex } from './message-index.js';
import { WriteRefusedError, type CheckUpdate, type CheckUpdateInput } from './write-check.js';
import { checkAttachmentBlobs, type BlobLookup } from '../shared/attachments.js';

/**
 * Refused because the update builds on structs the relay does not have (say, written by another tab of
 * the same browser and not yet arrived). Not the client's fault: it is closed with 1013 (try again later),
 * which every y-websocket client retries, and resyncs on reconnect, when its sync step 2 carries those structs too.
 */
const missingDependency = (): WriteRefusedError =>
  new WriteRefusedError('missing-dependency', 'update depends on data the relay does not have yet; reconnect to resync', CloseCode.tryAgainLater);

type Struct = Y.Item | Y.GC;
type Parent = { root: string; sub: string | null };
/** A struct this update inserts, where it goes, and from which offset its content is new. */
type Insert = Parent & { item: Y.Item; offset: number };

interface RoomGuard {
  index: MessageIndex;
  /** Client ids the relay wrote bindings with: no user may write with them. */
  relayClients: Set<number>;
}

function guardFor(states: WeakMap<Y.Doc, RoomGuard>, doc: Y.Doc): RoomGuard {
  let guard = states.get(doc);
  if (!guard) {
    guard = { index: createMessageIndex(doc), relayClients: relayClients(doc) };
    states.set(doc, guard);
  }
  return guard;
}

/** The structs of one update, by client, for resolving references between them. */
function groupByClient(structs: Array<Struct | Y.Skip>): Map<number, Struct[]> {
  const byClient = new Map<number, Struct[]>();
  for (const struct of structs) {
    if (struct instanceof Y.Skip) continue;
    const list = byClient.get(struct.id.client) ?? byClient.set(struct.id.client, []).get(struct.id.client)!;
    list.push(struct as Struct);
  }
  return byClient;
}

const findIn = (list: Struct[] | undefined, clock: number): Struct | undefined =>
  list?.find((s) => s.id.clock <= clock && clock < s.id.clock + s.length);

/** Checks one update from `writer` against `doc`; throws a RuleError or a missing-dependency refusal. Returns client ids to bind. */
function checkUpdate(doc: Y.Doc, guard: RoomGuard, update: Uint8Array, writer: Writer, blobs: BlobLookup | undefined): Set<number> {
  checkCanWrite(writer);
  const { index } = guard;
  const store = doc.store;
  const { structs, ds } = Y.decodeUpdate(update);
  const fresh = groupByClient(structs);
  const rootNames = new Map<Y.AbstractType<any>, string>();
  for (const [name, type] of doc.share) rootNames.set(type, name);

  // The winning record of each message this update writes, so that its other structs can refer to them.
  const pending = new Map<string, MessageRecord>();
  const lookup: MessageLookup = { get: (id) => pending.get(id) ?? index.get(id), compare: index.compare };
  const insertedIds = new Set<string>();
  const refilledRoots = new Set<string>();
  const unbound = new Set<number>();
  const parents = new Map<Struct, Parent>();
  const inserts: Insert[] = [];

  /** Where a struct of the document lives: only root types exist in the schema. */
  const parentOfStored = (item: Y.Item): Parent => {
    const type = item.parent as Y.AbstractType<any>;
    ensure(type._item === null, 'unknown-type', 'nested types are not part of the schema');
    return { root: rootNames.get(type) ?? Y.findRootTypeKey(type), sub: item.parentSub };
  };

  /** Resolves the parent of a struct of the update, following origins (iteratively: chains can be long). */
  const parentOfFresh = (start: Y.Item): Parent => {
    const chain: Y.Item[] = [];
    let item = start;
    let found: Parent | undefined;
    while (found === undefined) {
      const memo = parents.get(item);
      if (memo) {
        found = memo;
        break;
      }
      chain.push(item);
      if (typeof item.parent === 'string') {
        found = { root: item.parent, sub: item.parentSub };
        break;
      }
      ensure(item.parent === null, 'unknown-type', 'nested types are not part of the schema');
      const ref = item.origin ?? item.rightOrigin;
      ensure(ref !== null, 'bad-record', 'an item without parent or neighbours');
      if (ref.clock < Y.getState(store, ref.client)) {
        const stored = Y.getItem(store, ref);
        ensure(stored instanceof Y.Item, 'unknown-type', 'refers to collected content');
        found = parentOfStored(stored);
        break;
      }
      const next = findIn(fresh.get(ref.client), ref.clock);
      if (!(next instanceof Y.Item)) throw missingDependency();
      ensure(!chain.includes(next), 'bad-record', 'items refer to each other in a cycle');
      item = next;
    }
    for (const link of chain) parents.set(link, found);
    return found;
  };

  // Per-user receipt entries this update removes and adds, to check that the user's furthest marks hold.
  const receiptChanges = new Map<string, { removed: Set<unknown>; added: ReceiptEntry[] }>();
  const receiptChange = (user: string) =>
    receiptChanges.get(user) ?? receiptChanges.set(user, { removed: new Set(), added: [] }).get(user)!;

  const checkInsert = ({ item, offset, root, sub }: Insert): void => {
    const perUser = parseUserArrayName(root);
    const content = item.content;
    if (content instanceof Y.ContentDeleted) {
      // Inserted and deleted before it was sent: only who may write there matters.
      if (perUser) checkOwnEntry(perUser.user, writer);
      else if (root === 'meta') ensure(writer.role === 'admin', 'not-admin');
      else if (root === 'reactions') checkReactionKey(sub ?? '', writer, lookup, false);
      return;
    }
    ensure(content instanceof Y.ContentAny, 'bad-record', `content of type ${content.constructor.name}`);
    const values = content.arr.slice(offset);
    if (perUser) {
      ensure(sub === null, 'bad-record', 'per-user entries form an array');
      for (const entry of values) {
        if (perUser.kind === 'receipts') {
          checkReceiptEntry(perUser.user, entry, writer, lookup);
          receiptChange(perUser.user).added.push(entry);
        } else checkProfile(perUser.user, entry, writer);
      }
      refilledRoots.add(root);
    } else if (root !== 'messages') {
      ensure(sub !== null, 'bad-record', `${root} is a map`);
      for (const value of values) {
        if (root === 'reactions') {
          // A reaction racing a delete of its message is harmless (deleted messages show none): only existence counts.
          checkReactionKey(sub, writer, lookup, false);
          ensure(lookup.get(parseReactionKey(sub)!.messageId) !== undefined, 'unknown-message', parseReactionKey(sub)!.messageId);
          checkReactionValue(value);
        } else checkMeta(sub, value, writer);
      }
    }
  };

  for (const [client, list] of fresh) {
    const known = Y.getState(store, client);
    let expected = known;
    for (const struct of list) {
      const end = struct.id.clock + struct.length;
      if (end <= known) continue; // already in the room: changes nothing
      if (struct.id.clock > expected) throw missingDependency();
      expected = end;
      if (boundUser(doc, client) === undefined) unbound.add(client);
      ensure(!guard.relayClients.has(client) && (boundUser(doc, client) ?? writer.userId) === writer.userId, 'foreign-client', `client ${client}`);
      if (struct instanceof Y.Item) inserts.push({ item: struct, offset: Math.max(0, known - struct.id.clock), ...parentOfFresh(struct) });
    }
  }

  // Messages first, all of them: an update written offline may react to, reply to or receipt a message whose
  // records come later in it (a tombstone written after the reaction, the original already deleted).
  const records: MessageRecord[] = [];
  for (const insert of inserts) {
    checkTopLevel(insert.root);
    if (insert.root !== 'messages' || !(insert.item.content instanceof Y.ContentAny)) continue;
    ensure(insert.sub === null, 'bad-record', 'messages form an array');
    for (const record of insert.item.content.arr.slice(insert.offset)) {
      checkMessageRecord(record);
      records.push(record);
      const current = pending.get(record.id) ?? index.get(record.id);
      if (!current || supersedes(record, current)) pending.set(record.id, record);
      insertedIds.add(record.id);
    }
  }
  for (const record of records) {
    const existing = index.get(record.id);
    if (existing) checkRevision(existing, record, writer, { concurrent: true });
    else checkUnseenRecord(record, writer, lookup);
    // Attachments may only name files stored for this conversation.
    if (blobs && record.attachments !== undefined) checkAttachmentBlobs(record.attachments, blobs);
  }
  for (const insert of inserts) checkInsert(insert);

  // The delete set: each removed item must be the writer's to remove, and messages are only ever replaced.
  const removedRecords = new Map<string, number>();
  const emptiedRoots = new Set<string>();
  for (const [client, ranges] of ds.clients) {
    const known = Y.getState(store, client);
    const stored = store.clients.get(client);
    for (const { clock, len } of ranges) {
      const end = clock + len;
      if (end > known) {
        // Deletes structs the room does not have: they must be this update's own.
        for (let c = Math.max(clock, known); c < end;) {
          const struct = findIn(fresh.get(client), c);
          if (!struct) throw missingDependency();
          c = struct.id.clock + struct.length;
        }
      }
      if (!stored || clock >= known) continue;
      for (let i = Y.findIndexSS(stored, clock); i < stored.length; i++) {
        const struct = stored[i]!;
        if (struct.id.clock >= Math.min(end, known)) break;
        if (!(struct instanceof Y.Item) || struct.deleted) continue;
        const { root, sub } = parentOfStored(struct);
        const perUser = parseUserArrayName(root);
        if (root === 'messages') {
          ensure(struct.content instanceof Y.ContentAny, 'forbidden-delete');
          const from = Math.max(clock, struct.id.clock) - struct.id.clock;
          const to = Math.min(end, struct.id.clock + struct.length) - struct.id.clock;
          for (let offset = from; offset < to; offset++) {
            const record = struct.content.arr[offset] as MessageRecord;
            checkRecordRemoval(record, writer);
            removedRecords.set(record.id, (removedRecords.get(record.id) ?? 0) + 1);
          }
        } else if (root === 'reactions') {
          checkReactionKey(sub ?? '', writer, lookup, false);
        } else if (root === 'meta') {
          checkCanWrite(writer);
          ensure(writer.role === 'admin', 'not-admin');
        } else if (perUser) {
          checkOwnEntry(perUser.user, writer);
          emptiedRoots.add(root);
          if (perUser.kind === 'receipts' && struct.content instanceof Y.ContentAny) {
            const from = Math.max(clock, struct.id.clock) - struct.id.clock;
            const to = Math.min(end, struct.id.clock + struct.length) - struct.id.clock;
            for (const entry of struct.content.arr.slice(from, to)) receiptChange(perUser.user).removed.add(entry);
          }
        } else {
          throw new RuleError('forbidden-delete', root);
        }
      }
    }
  }
  for (const [id, count] of removedRecords) {
    // Edits and deletes replace a record in place; removing a message outright would orphan its replies.
    const live = index.recordCount(id);
    ensure(insertedIds.has(id) || live > count, 'forbidden-delete', `message ${id} can only be replaced by a new version or a tombstone`);
  }
  for (const root of emptiedRoots) ensure(refilledRoots.has(root), 'forbidden-delete', `${root} can only be replaced`);
  for (const [user, { removed, added }] of receiptChanges) {
    // Judge the user's marks as they will stand: a device lagging behind another may add a lower entry
    // alongside a higher one (the furthest counts), but no update may leave the user further back.
    const entries = userEntries<ReceiptEntry>(doc, 'receipts', user);
    const after = [...entries.filter((entry) => !removed.has(entry)), ...added];
    checkReceiptProgress(furthestReceipt(entries, index), furthestReceipt(after, lookup), index);
  }
  return unbound;
}

/** What the guard consults beyond the document. */
export interface GuardOptions {
  /** The blob store: attachments must name blobs stored for the room being written. Without it, blob ids are not checked. */
  blobs?: { has(room: string, id: string): boolean };
}

/**
 * The relay's write check for conversation rooms (see write-check.ts): the shared rules applied to the
 * structs and delete set of each update, checked against the room's current document without copying it.
 * Client ids seen for the first time are bound to the writer just before the update is applied.
 */
export function createConversationGuard(options: GuardOptions = {}): CheckUpdate {
  const states = new WeakMap<Y.Doc, RoomGuard>();
  return function checkConversationUpdate({ room, doc, update, user, role }: CheckUpdateInput): void {
    const guard = guardFor(states, doc);
    const { blobs } = options;
    let unbound: Set<number>;
    try {
      unbound = checkUpdate(doc, guard, update, { userId: user.id, role }, blobs && { has: (id) => blobs.has(room, id) });
    } catch (error) {
      if (error instanceof RuleError) throw new WriteRefusedError(error.code, error.message);
      throw error;
    }
    if (unbound.size > 0) {
      bindClients(doc, unbound, user.id);
      guard.relayClients.add(doc.clientID);
    }
  };
}

