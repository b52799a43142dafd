// Who is in a room, for the header and the members panel: members from the profiles, who is here from presence, "last seen" from profiles.
import type { ConversationState, Presence } from '../../index.js';

/** One member as the header and the members panel show them. */
export interface Person {
  id: string;
  name: string;
  self: boolean;
  /** Connected now (any tab or device), with their presence and custom status. */
  here: boolean;
  presence: Presence | undefined;
  status: string | undefined;
  lastSeen: number | undefined;
}

const PRESENCE_LABEL: Record<Presence, string> = { online: 'Online', away: 'Away', busy: 'Busy' };

/** Everyone who wrote a member profile or is connected now; the local user first, then who is here, then by name. */
export function people(state: ConversationState | undefined, nameOf: (userId: string) => string): Person[] {
  if (!state) return [];
  const ids = new Set<string>([...state.profiles.keys(), ...state.presence.map((p) => p.id)]);
  const list: Person[] = [];
  for (const id of ids) {
    const entry = state.presence.find((p) => p.id === id);
    list.push({
      id,
      name: nameOf(id),
      self: id === state.userId,
      here: entry !== undefined,
      presence: entry?.presence,
      status: entry?.status || undefined,
      lastSeen: state.profiles.get(id)?.lastSeen,
    });
  }
  return list.sort((a, b) => Number(b.self) - Number(a.self) || Number(b.here) - Number(a.here) || a.name.localeCompare(b.name));
}

/** "Online · In a meeting", "Away", or "last seen 5 min ago" for someone not connected. */
export function personLine(person: Person, now = Date.now()): string {
  if (person.here && person.presence) return `${PRESENCE_LABEL[person.presence]}${person.status ? ` · ${person.status}` : ''}`;
  return person.lastSeen !== undefined ? `last seen ${ago(person.lastSeen, now)}` : 'Offline';
}

/**
 * The header's line about the other people: in a conversation of two, the other person's presence, custom
 * status or "last seen"; in a group, how many members and how many are here.
 */
export function peopleSummary(list: readonly Person[], now = Date.now()): string {
  const others = list.filter((p) => !p.self);
  if (others.length === 0) return 'Only you so far';
  if (others.length === 1) return personLine(others[0]!, now);
  const here = list.filter((p) => p.here).length;
  return `${list.length} members · ${here} here`;
}

/** "just now", "5 min ago", "3 h ago", "yesterday", or a date. */
export function ago(ts: number, now = Date.now()): string {
  const minutes = Math.floor((now - ts) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  if (hours < 48) return 'yesterday';
  return `on ${new Date(ts).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}`;
}
