// Filters typed into the search box: `from:ada in:team has:file after:2025-01-31 before:2025-03-01`, the rest is words.

import type { SearchRequest } from './search-types.js';

export interface QuerySyntaxOptions {
  /** Turns what follows `from:` (a name or an id) into a user id; return undefined to keep it as typed. */
  resolveAuthor?: (name: string) => string | undefined;
  /** Turns what follows `in:` (a title or a room name) into a room name; return undefined to keep it as typed. */
  resolveRoom?: (name: string) => string | undefined;
}

const FILTER = /(^|\s)(from|in|has|before|after|on):(\S+)/giu;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Local midnights starting and ending a `YYYY-MM-DD` day (ms; days are not always 24 h), or undefined when it is not a real date. */
function day(text: string): { start: number; end: number } | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const date = new Date(y, m - 1, d);
  if (date.getFullYear() !== y || date.getMonth() !== m - 1 || date.getDate() !== d) return undefined;
  return { start: date.getTime(), end: new Date(y, m - 1, d + 1).getTime() };
}

/**
 * Splits what the user typed into words and filters. `has:file` (or `has:attachment`) keeps messages with
 * attachments; dates are local days (`on:` one day, `after:` from the day after, `before:` up to the day
 * before). A filter that cannot be read stays in the text as words, so nothing typed is silently lost.
 */
export function parseSearchInput(input: string, options: QuerySyntaxOptions = {}): SearchRequest {
  const request: SearchRequest = { text: '' };
  const text = input.replace(FILTER, (whole, space: string, key: string, value: string) => {
    switch (key.toLowerCase()) {
      case 'from':
        request.author = options.resolveAuthor?.(value) ?? value;
        return space;
      case 'in':
        request.room = options.resolveRoom?.(value) ?? value;
        return space;
      case 'has':
        if (/^(file|files|attachment|attachments)$/i.test(value)) {
          request.hasAttachment = true;
          return space;
        }
        return whole;
      default: {
        const range = day(value);
        if (range === undefined) return whole;
        if (key.toLowerCase() === 'before') request.to = range.start;
        else if (key.toLowerCase() === 'after') request.from = range.end;
        else {
          request.from = range.start;
          request.to = range.end;
        }
        return space;
      }
    }
  });
  request.text = text.replace(/\s+/gu, ' ').trim();
  return request;
}

/** Whether a parsed request has anything to search with (words; filters alone do not search). */
export const hasWords = (request: SearchRequest): boolean => /[\p{L}\p{N}]/u.test(request.text);
