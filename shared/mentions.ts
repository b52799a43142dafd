// @mentions: the `mentions` field's rules (shape, bound, membership), reads of it, and the `@Name` text around it.
import type * as Y from 'yjs';
import { ensure } from './errors.js';
import { isUserId } from './ids.js';
import { ROSTER, type RosterEntry } from './roster.js';
import { LIMITS, type MessageRecord } from './schema.js';
import { userArrayName } from './user-entries.js';

/**
 * A message's `mentions` are the truth: user ids, unique, 1 to LIMITS.mentions of them. The text keeps what the
 * author typed (`@Ada Lovelace`) for people to read; renderers highlight the `@Name` of each mentioned id.
 * A deleted message keeps none. A self-mention is allowed (Slack does the same) but never notifies: see
 * `mentionsUser`.
 */

/** Who may be mentioned in a room: see `mentionableIn`. */
export interface MemberLookup {
  isMember(userId: string): boolean;
}

/**
 * The shape of a `mentions` value: a non-empty array of at most LIMITS.mentions well-formed, distinct user ids.
 * The length is checked before any element is read, so a flood of mentions costs O(1) to refuse.
 */
export function checkMentionList(value: unknown): asserts value is string[] {
  ensure(Array.isArray(value), 'bad-mentions', 'mentions must be an array of user ids');
  ensure(value.length > 0, 'bad-mentions', 'an empty mentions list is left out');
  ensure(value.length <= LIMITS.mentions, 'too-many-mentions', `${value.length} > ${LIMITS.mentions}`);
  const seen = new Set<string>();
  for (const id of value) {
    ensure(isUserId(id), 'bad-mentions', `not a user id: ${typeof id === 'string' ? JSON.stringify(id.slice(0, 80)) : typeof id}`);
    ensure(!seen.has(id), 'bad-mentions', `${id} is mentioned twice`);
    seen.add(id);
  }
}

/**
 * Each mentioned user is a member of the conversation (or the author). Call after the record's shape was
 * checked (checkMessageRecord): at most LIMITS.mentions lookups.
 */
export function checkMentionMembers(record: MessageRecord, members: MemberLookup): void {
  if (record.mentions === undefined) return;
  for (const id of record.mentions) {
    ensure(id === record.author || members.isMember(id), 'mention-not-member', id);
  }
}

/**
 * Who may be mentioned in a conversation document, each answer O(1): a user with a roster entry other than
 * `banned`, or a user with a profile (`members:<id>`) whom the roster does not ban. Rooms without a roster
 * (access granted by tokens alone) thus know the people who took part; profiles also keep a member who left
 * while a message mentioning them was written offline from refusing that message (the push side decides who
 * is notified from current membership).
 */
export function mentionableIn(doc: Y.Doc): MemberLookup {
  return {
    isMember(userId: string): boolean {
      const entry: unknown = doc.share.has(ROSTER) ? doc.getMap<RosterEntry>(ROSTER).get(userId) : undefined;
      if (typeof entry === 'object' && entry !== null) return (entry as RosterEntry).role !== 'banned';
      // Asking for a root type creates it locally: look before asking.
      const profiles = userArrayName('members', userId);
      return doc.share.has(profiles) && doc.getArray(profiles).length > 0;
    },
  };
}

/** Two mention lists are the same (order included): an identical re-send keeps them. */
export const sameMentions = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((id, i) => b?.[i] === id);

/** The user ids a message mentions (none for a deleted one). */
export const mentionsOf = (record: { mentions?: readonly string[]; deleted?: boolean }): readonly string[] =>
  record.deleted === true ? [] : (record.mentions ?? []);

/**
 * Whether `record` mentions `userId` in a way that should reach them: listed, not deleted, and not their own
 * message (a self-mention highlights but never notifies or counts as unread).
 */
export const mentionsUser = (record: { author: string; mentions?: readonly string[]; deleted?: boolean }, userId: string): boolean =>
  record.author !== userId && mentionsOf(record).includes(userId);

/** A person one can mention: their id and the display name the text shows after `@`. */
export interface Mentionable {
  id: string;
  name: string;
}

/** The text inserted for a mention of `name`. */
export const mentionText = (name: string): string => `@${name}`;

/** Letters, digits and connectors: an `@Name` ends where one of these does not follow. */
const WORD = /[\p{L}\p{N}_]/u;

/** Whether `@name` stands at `at` in `text` as a whole token (not inside a word, not a prefix of a longer word). */
function tokenAt(text: string, at: number, name: string): boolean {
  if (at > 0 && WORD.test(text[at - 1]!)) return false;
  const end = at + 1 + name.length;
  if (text.slice(at + 1, end).toLowerCase() !== name.toLowerCase()) return false;
  return end >= text.length || !WORD.test(text[end]!);
}

/** A run of message text: plain, or the `@Name` of a mentioned user. */
export interface TextSpan {
  text: string;
  mention?: string;
}

/**
 * Splits `text` into plain runs and `@Name` tokens of `people` (longest name first when several match at one
 * place), case-insensitively. Cost: O(text × people), with people ≤ LIMITS.mentions for a record's mentions.
 */
export function mentionSpans(text: string, people: readonly Mentionable[]): TextSpan[] {
  if (people.length === 0 || !text.includes('@')) return [{ text }];
  const byLength = [...people].filter((p) => p.name !== '').sort((a, b) => b.name.length - a.name.length);
  const spans: TextSpan[] = [];
  let plainFrom = 0;
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    if (at < plainFrom) continue;
    const person = byLength.find((p) => tokenAt(text, at, p.name));
    if (!person) continue;
    if (at > plainFrom) spans.push({ text: text.slice(plainFrom, at) });
    const end = at + 1 + person.name.length;
    spans.push({ text: text.slice(at, end), mention: person.id });
    plainFrom = end;
  }
  if (plainFrom < text.length) spans.push({ text: text.slice(plainFrom) });
  return spans;
}

/**
 * The ids of the `people` whose `@Name` appears in `text`, in order of first appearance, unique, at most
 * LIMITS.mentions: what a composer puts in `mentions` (people it recorded when they were picked, or the room's
 * members when parsing typed text).
 */
export function mentionsInText(text: string, people: readonly Mentionable[]): string[] {
  const ids: string[] = [];
  for (const span of mentionSpans(text, people)) {
    if (span.mention !== undefined && !ids.includes(span.mention)) ids.push(span.mention);
    if (ids.length === LIMITS.mentions) break;
  }
  return ids;
}

/**
 * The `@query` being typed just before `caret`, if any: `at` is the index of its `@`. It starts at the text's
 * start or after whitespace or an opening bracket, and runs to the caret without a line break (names may hold
 * spaces, but the query neither starts nor ends with one; up to LIMITS.displayName characters are taken).
 */
export function mentionQueryAt(text: string, caret: number): { at: number; query: string } | undefined {
  const from = Math.max(0, caret - LIMITS.displayName - 1);
  const at = text.lastIndexOf('@', caret - 1);
  if (at < from) return undefined;
  if (at > 0 && !/[\s([{"']/u.test(text[at - 1]!)) return undefined;
  const query = text.slice(at + 1, caret);
  // A space right after the `@` is no mention; a trailing one ends the query (a name was just inserted).
  if (/[\n@]/u.test(query) || /^\s|\s$/u.test(query)) return undefined;
  return { at, query };
}

/** `people` whose name (or id) starts a word with `query`, case-insensitively; names starting with it first. */
export function filterMentionables(people: readonly Mentionable[], query: string, limit = 8): Mentionable[] {
  const q = query.toLowerCase();
  const starts: Mentionable[] = [];
  const words: Mentionable[] = [];
  for (const person of people) {
    const name = person.name.toLowerCase();
    if (name.startsWith(q) || person.id.toLowerCase().startsWith(q)) starts.push(person);
    else if (name.split(/\s+/u).some((word) => word.startsWith(q))) words.push(person);
  }
  return [...starts, ...words].slice(0, limit);
}
