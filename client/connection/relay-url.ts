// Relay base URLs: checks the one the application gives and derives the endpoints' URLs from it.

/** Normalises a relay base URL to `ws(s)://host[:port][/path]` without a trailing slash; throws on anything else. */
export function relayBase(relayUrl: string): string {
  const url = new URL(relayUrl);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new TypeError(`unsupported relay URL scheme ${url.protocol}`);
  if (url.search || url.hash) throw new TypeError('the relay URL must not carry a query or fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** What an application gives as its relay: one base URL, or several relays of one cluster (docs/cluster.md). */
export type RelayUrls = string | readonly string[];

/** Normalises every URL of `relayUrl` (see relayBase); throws on an empty list or any bad URL. */
export function relayBases(relayUrl: RelayUrls): string[] {
  const list = typeof relayUrl === 'string' ? [relayUrl] : [...relayUrl];
  if (list.length === 0) throw new TypeError('give at least one relay URL');
  return list.map(relayBase);
}

/** The per-room endpoint's base, `…/rooms` (the provider appends `/:room?token=…`). */
export const roomsUrl = (relayUrl: string): string => `${relayBase(relayUrl)}/rooms`;

/** The multiplexed endpoint, `…/sync` (no token in the URL: it goes in the first frame). */
export const syncUrl = (relayUrl: string): string => `${relayBase(relayUrl)}/sync`;
