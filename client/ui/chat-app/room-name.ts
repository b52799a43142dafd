// Turns what a person types as a room name ("my team room") into a valid one ("my-team-room").
import { isValidRoomName } from '../../../shared/ids.js';

/**
 * The room name for `typed`: kept as is when valid; otherwise accents are dropped, runs of spaces and other
 * characters become one `-`, and the result is cut to 128 characters. Undefined when nothing usable is left.
 */
export function roomNameFrom(typed: string): string | undefined {
  const trimmed = typed.trim();
  if (isValidRoomName(trimmed)) return trimmed;
  const slug = trimmed
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9._~-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 128)
    .replace(/-+$/, '');
  return /[A-Za-z0-9]/.test(slug) && isValidRoomName(slug) ? slug : undefined;
}
