// How search sees text: words, accent- and case-folding, stop words, query bounds and highlight ranges.

/** A word: a run of letters, digits and combining marks (punctuation, spaces and symbols separate words). */
const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const MARKS = /\p{M}+/gu;
const PARTIAL_WORD_AT_END = /[\p{L}\p{N}\p{M}]+$/u;

/** Longest query taken into account, in UTF-16 units; the rest is ignored (and reported as truncated). */
export const MAX_QUERY_CHARS = 256;
/** Most distinct words in one query: each word costs a lookup (and a prefix expansion). */
export const MAX_QUERY_TERMS = 12;
/** Longest indexed word: longer runs (hashes, base64) are cut so one message cannot bloat the term tree. */
export const MAX_TERM_LENGTH = 40;
/** Words shorter than this are matched exactly, not as prefixes (a one-letter prefix matches half the index). */
export const MIN_PREFIX_LENGTH = 2;

/**
 * Words too common to be worth indexing (English and French, the languages of the team's conversations):
 * they are left out of the index and of queries.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it', 'its', 'no', 'not',
  'of', 'on', 'or', 'so', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they', 'this', 'to', 'was',
  'will', 'with', 'le', 'la', 'les', 'un', 'une', 'des', 'du', 'de', 'et', 'ou', 'en',
]);

const ASCII = /^[\x00-\x7f]*$/;

/** Case- and accent-folded form of a word: `Café` → `cafe`, `ÉCOLE` → `ecole` (ASCII words skip normalization: most words). */
export const fold = (word: string): string =>
  ASCII.test(word) ? word.toLowerCase() : word.normalize('NFD').replace(MARKS, '').toLowerCase().normalize('NFC');

/** The words of `text` as written (not folded). */
export const words = (text: string): string[] => text.match(WORD) ?? [];

/** The index form of a word, or null when it is not indexed (a stop word). */
export function indexTerm(word: string): string | null {
  const folded = fold(word).slice(0, MAX_TERM_LENGTH);
  return folded.length === 0 || STOP_WORDS.has(folded) ? null : folded;
}

/** A query reduced to what the index can answer, and what was dropped on the way. */
export interface PreparedQuery {
  /** Distinct folded words to look up, in query order. */
  terms: string[];
  /** Stop words left out of the query (folded). */
  ignored: string[];
  /** The query was longer than MAX_QUERY_CHARS or had more than MAX_QUERY_TERMS words. */
  truncated: boolean;
}

/**
 * Turns what the user typed into index terms. Bounded whatever the input: at most MAX_QUERY_CHARS
 * characters are read and MAX_QUERY_TERMS terms kept. No character has a special meaning (the query is
 * never turned into a regular expression), so `.*`, `(` or `\` are just separators.
 */
export function prepareQuery(input: string): PreparedQuery {
  const truncatedChars = input.length > MAX_QUERY_CHARS;
  // A word cut in half by the limit is left out rather than searched as a prefix of something else.
  const cutsWord = truncatedChars && /[\p{L}\p{N}\p{M}]/u.test(input.charAt(MAX_QUERY_CHARS));
  const text = truncatedChars ? input.slice(0, MAX_QUERY_CHARS).replace(cutsWord ? PARTIAL_WORD_AT_END : '', '') : input;
  const terms: string[] = [];
  const ignored: string[] = [];
  let truncated = truncatedChars;
  for (const word of words(text)) {
    const folded = fold(word).slice(0, MAX_TERM_LENGTH);
    if (folded.length === 0) continue;
    if (STOP_WORDS.has(folded)) {
      if (!ignored.includes(folded)) ignored.push(folded);
      continue;
    }
    if (terms.includes(folded)) continue;
    if (terms.length === MAX_QUERY_TERMS) {
      truncated = true;
      break;
    }
    terms.push(folded);
  }
  return { terms, ignored, truncated };
}

/** Character ranges `[start, end)` of the words of `text` whose index form is in `matched` (for highlighting). */
export function highlightRanges(text: string, matched: ReadonlySet<string>): [number, number][] {
  const ranges: [number, number][] = [];
  if (matched.size === 0) return ranges;
  for (const m of text.matchAll(WORD)) {
    const term = indexTerm(m[0]);
    if (term !== null && matched.has(term)) ranges.push([m.index, m.index + m[0].length]);
  }
  return ranges;
}
