// A reproducible chat corpus for the search benchmark: Zipf-distributed words (some accented), varied lengths.
import { seeded } from '../test/support/seeded.js';

const COMMON = [
  'the', 'a', 'to', 'and', 'is', 'it', 'we', 'you', 'i', 'on', 'for', 'this', 'that', 'with', 'can', 'do', 'not',
  'have', 'be', 'will', 'ok', 'yes', 'just', 'what', 'when', 'how', 'meeting', 'release', 'deploy', 'build', 'test',
  'tomorrow', 'today', 'lunch', 'café', 'résumé', 'naïve', 'über', 'crème', 'déjà', 'coffee', 'bug', 'fix', 'review',
  'merge', 'branch', 'server', 'client', 'search', 'thread', 'pinned', 'friday', 'monday', 'design', 'invoice',
];

/** A vocabulary of `size` words: common chat words first, then pronounceable made-up ones. */
export function vocabulary(size: number, seed = 7): string[] {
  const random = seeded(seed).next;
  // Consonant-vowel syllables (some accented): about as many distinct 3-letter prefixes as English words have.
  const syllables: string[] = [];
  for (const c of 'bcdfghjklmnprstvwz') for (const v of ['a', 'e', 'i', 'o', 'u', 'é', 'y']) syllables.push(c + v);
  const words = [...COMMON];
  const seen = new Set(words);
  while (words.length < size) {
    let word = '';
    const n = 2 + Math.floor(random() * 3);
    for (let i = 0; i < n; i++) word += syllables[Math.floor(random() * syllables.length)];
    if (!seen.has(word)) {
      seen.add(word);
      words.push(word);
    }
  }
  return words;
}

export interface CorpusMessage {
  room: string;
  id: string;
  author: string;
  text: string;
  createdAt: number;
  hasAttachment: boolean;
}

/** `count` messages spread over `rooms` conversations and 20 authors, 2–20 words each, words drawn Zipf-like. */
export function corpus(count: number, rooms: number, seed = 11): CorpusMessage[] {
  const random = seeded(seed).next;
  const words = vocabulary(20_000);
  const pick = (): string => words[Math.min(words.length - 1, Math.floor(words.length ** random() - 1))]!;
  const start = Date.UTC(2025, 0, 1);
  const out: CorpusMessage[] = [];
  for (let i = 0; i < count; i++) {
    const length = 2 + Math.floor(random() * 19);
    const parts: string[] = [];
    for (let w = 0; w < length; w++) parts.push(pick());
    if (random() < 0.3) parts[0] = parts[0]!.charAt(0).toUpperCase() + parts[0]!.slice(1);
    out.push({
      room: `room-${i % rooms}`,
      id: `m${i.toString(36)}`,
      author: `user-${Math.floor(random() * 20)}`,
      text: `${parts.join(' ')}${random() < 0.2 ? '?' : '.'}`,
      createdAt: start + i * 60_000,
      hasAttachment: random() < 0.05,
    });
  }
  return out;
}

/** Queries typical of a search box: one word, two words, a prefix being typed, an accented word without accents. */
export function queries(count: number, seed = 13): string[] {
  const random = seeded(seed).next;
  const words = vocabulary(20_000).slice(0, 3_000);
  const pick = (): string => words[Math.floor(random() * words.length)]!;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 4;
    if (kind === 0) out.push(pick());
    else if (kind === 1) out.push(`${pick()} ${pick()}`);
    else if (kind === 2) out.push(pick().slice(0, 3));
    else out.push(`${pick()} ${pick().slice(0, 4)}`);
  }
  return out;
}
