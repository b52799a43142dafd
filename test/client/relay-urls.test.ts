// Several relays of one cluster as the client's relayUrl: each URL is checked and normalised, an empty list refused.
import { describe, expect, it } from 'vitest';
import { relayBases, roomsUrl } from '../../client/connection/relay-url.js';

describe('relayBases', () => {
  it('takes one URL or a list, normalising each', () => {
    expect(relayBases('http://a.example:8787/')).toEqual(['ws://a.example:8787']);
    expect(relayBases(['https://a.example', 'wss://b.example/parley/']).map(roomsUrl)).toEqual([
      'wss://a.example/rooms',
      'wss://b.example/parley/rooms',
    ]);
  });

  it('refuses an empty list and any bad URL in a list', () => {
    expect(() => relayBases([])).toThrow(/at least one relay URL/);
    expect(() => relayBases(['ws://a.example', 'ftp://b.example'])).toThrow(/unsupported relay URL scheme/);
    expect(() => relayBases(['ws://a.example', 'ws://b.example/?x=1'])).toThrow(/query or fragment/);
  });
});
