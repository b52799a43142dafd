// Decodes what one incoming update does to a room's document: its new structs with their resolved parents, and the stored items it deletes.
import * as Y from 'yjs';
import { ensure } from '../shared/errors.js';

/** Y.decodeUpdate's result: the update decoded once by the accept path and shared by every step after it. */
export type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>;

type Struct = Y.Item | Y.GC;

/** Where an item lives: a top-level type (`root`) and, in a map, its key (`sub`). Nested types are not part of the schema. */
export interface Place {
  root: string;
  sub: string | null;
}

/** A struct this update inserts, where it goes, and from which offset its content is new to the room. */
export interface StructInsert extends Place {
  item: Y.Item;
  offset: number;
}

/** A stored, live item this update deletes part of: content offsets `from` (inclusive) to `to` (exclusive). */
export interface StructDeletion extends Place {
  item: Y.Item;
  from: number;
  to: number;
}

/** The decoded view of one update, against the room's document as it is before the update. */
export interface UpdateStructure {
  inserts: StructInsert[];
  deletions: StructDeletion[];
  /** Client ids that write structs new to the room. */
  writers: Set<number>;
}

/**
 * The update builds on structs the room does not have (say, written by another tab of the same browser and
 * not yet arrived). Not the client's fault: the relay asks it to resync (1013).
 */
export class MissingDependencyError extends Error {
  override name = 'MissingDependencyError';
  constructor() {
    super('update depends on data the relay does not have yet; reconnect to resync');
  }
}

/** Marks a struct whose place is being resolved (see `places` in decodeStructure). */
const VISITING: Place = Object.freeze({ root: '', sub: null });

/**
 * Most structs of one update that continue the previous struct of the same client in a way Yjs merges on
 * applying (consecutive clocks, origin = the previous one's last id, both plain values). Yjs merges values by
 * copying arrays (`concat` per struct): n such structs cost n²/2 copies, so 115,000 of them (1 MB) would stall
 * the relay for seconds. Honest clients send what their document holds, where such runs are already merged.
 */
export const MAX_MERGEABLE_STRUCTS = 1024;

/** Whether Yjs would merge `right` into `left` once both are integrated next to each other (plain values only). */
const wouldMerge = (left: Y.Item, right: Y.Item): boolean =>
  left.id.client === right.id.client &&
  left.id.clock + left.length === right.id.clock &&
  right.origin !== null &&
  right.origin.client === left.id.client &&
  right.origin.clock === left.id.clock + left.length - 1 &&
  left.content instanceof Y.ContentAny &&
  right.content instanceof Y.ContentAny &&
  (left.rightOrigin === null ? right.rightOrigin === null : right.rightOrigin !== null && Y.compareIDs(left.rightOrigin, right.rightOrigin));

/** Whether a decoded update changes nothing (no structs, no deletions). */
export const isEmptyDecoded = ({ structs, ds }: DecodedUpdate): boolean => structs.length === 0 && ds.clients.size === 0;

/** The structs of one update by client, sorted by clock, for resolving references between them by binary search. */
function groupByClient(structs: DecodedUpdate['structs']): Map<number, Struct[]> {
  const byClient = new Map<number, Struct[]>();
  const sorted = new Set<number>();
  for (const struct of structs) {
    if (struct instanceof Y.Skip) continue;
    const client = struct.id.client;
    let list = byClient.get(client);
    if (!list) byClient.set(client, (list = []));
    const last = list[list.length - 1];
    if (last !== undefined && last.id.clock > struct.id.clock) sorted.add(client);
    list.push(struct as Struct);
  }
  // Yjs writes each client's structs in clock order; a crafted update may not.
  for (const client of sorted) byClient.get(client)!.sort((a, b) => a.id.clock - b.id.clock);
  return byClient;
}

/** The struct of `list` (sorted by clock) that contains `clock`, in O(log n). */
function findIn(list: Struct[] | undefined, clock: number): Struct | undefined {
  if (!list) return undefined;
  let low = 0;
  let high = list.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const struct = list[mid]!;
    if (clock < struct.id.clock) high = mid - 1;
    else if (clock >= struct.id.clock + struct.length) low = mid + 1;
    else return struct;
  }
  return undefined;
}

/** Root type → its name: a room may hold thousands of roots (two per member), so they are not listed per update. */
const rootNames = new WeakMap<Y.AbstractType<any>, string>();

/** The top-level name of `type`, O(1) amortised: doc.share is rescanned only when a root is new (roots are never removed). */
function rootNameOf(doc: Y.Doc, type: Y.AbstractType<any>): string {
  let name = rootNames.get(type);
  if (name === undefined) {
    for (const [key, root] of doc.share) if (!rootNames.has(root)) rootNames.set(root, key);
    name = rootNames.get(type) ?? Y.findRootTypeKey(type);
  }
  return name;
}

/** Sorts and merges one client's delete ranges, so that each stored struct is visited at most once. */
function mergeRanges(ranges: Array<{ clock: number; len: number }>): Array<{ clock: number; end: number }> {
  const sorted = ranges.map(({ clock, len }) => ({ clock, end: clock + len })).sort((a, b) => a.clock - b.clock);
  const merged: Array<{ clock: number; end: number }> = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last && range.clock <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push(range);
  }
  return merged;
}

/**
 * Resolves `decoded` against `doc`: every struct new to the room with its place (following origins through the
 * update and into the document), and every live stored item the delete set removes. Linear in the update (plus
 * a binary search per reference) and independent of the room's size but for the items deleted. Throws a
 * RuleError for structure outside the schema and MissingDependencyError for references to structs the room lacks.
 */
export function decodeStructure(doc: Y.Doc, decoded: DecodedUpdate): UpdateStructure {
  const store = doc.store;
  const fresh = groupByClient(decoded.structs);
  /** Each fresh struct's place once resolved; VISITING while a walk passes through it (to catch cycles without a set per walk). */
  const places = new Map<Struct, Place>();

  /** Where a stored item lives: only root types exist in the schema. */
  const placeOfStored = (item: Y.Item): Place => {
    const type = item.parent as Y.AbstractType<any>;
    ensure(type._item === null, 'unknown-type', 'nested types are not part of the schema');
    return { root: rootNameOf(doc, type), sub: item.parentSub };
  };

  /** The place of a struct of the update, following origins iteratively (chains can be long); memoised per struct. */
  const placeOfFresh = (start: Y.Item): Place => {
    const chain: Y.Item[] = [];
    let item = start;
    let found: Place | undefined;
    while (found === undefined) {
      const memo = places.get(item);
      ensure(memo !== VISITING, 'bad-record', 'items refer to each other in a cycle');
      if (memo) {
        found = memo;
        break;
      }
      chain.push(item);
      places.set(item, VISITING);
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
        found = placeOfStored(stored);
        break;
      }
      const next = findIn(fresh.get(ref.client), ref.clock);
      if (!(next instanceof Y.Item)) throw new MissingDependencyError();
      item = next;
    }
    for (const link of chain) places.set(link, found);
    return found;
  };

  const inserts: StructInsert[] = [];
  const writers = new Set<number>();
  let mergeable = 0;
  /** How far each client's structs reach, the room's and this update's together (they must be contiguous). */
  const reach = new Map<number, number>();
  for (const [client, list] of fresh) {
    const known = Y.getState(store, client);
    let expected = known;
    for (const struct of list) {
      const end = struct.id.clock + struct.length;
      if (end <= known) continue; // already in the room: changes nothing
      if (struct.id.clock > expected) throw new MissingDependencyError();
      expected = Math.max(expected, end);
      writers.add(client);
      if (!(struct instanceof Y.Item)) continue;
      const previous = inserts[inserts.length - 1]?.item;
      if (previous && wouldMerge(previous, struct)) {
        mergeable++;
        ensure(mergeable <= MAX_MERGEABLE_STRUCTS, 'bad-record', `more than ${MAX_MERGEABLE_STRUCTS} structs that Yjs would merge, sent one by one`);
      }
      inserts.push({ item: struct, offset: Math.max(0, known - struct.id.clock), ...placeOfFresh(struct) });
    }
    reach.set(client, expected);
  }

  const deletions: StructDeletion[] = [];
  for (const [client, ranges] of decoded.ds.clients) {
    const known = Y.getState(store, client);
    const stored = store.clients.get(client);
    for (const { clock, end } of mergeRanges(ranges)) {
      // Deleting structs the room does not have: they must be this update's own (contiguous, checked above).
      if (end > known && end > (reach.get(client) ?? known)) throw new MissingDependencyError();
      if (!stored || clock >= known) continue;
      const stop = Math.min(end, known);
      for (let i = Y.findIndexSS(stored, clock); i < stored.length; i++) {
        const struct = stored[i]!;
        if (struct.id.clock >= stop) break;
        if (!(struct instanceof Y.Item) || struct.deleted) continue;
        const from = Math.max(clock, struct.id.clock) - struct.id.clock;
        const to = Math.min(stop, struct.id.clock + struct.length) - struct.id.clock;
        deletions.push({ item: struct, from, to, ...placeOfStored(struct) });
      }
    }
  }
  return { inserts, deletions, writers };
}
