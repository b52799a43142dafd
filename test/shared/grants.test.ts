// Room grants: one resolution for client and relay, including room names that are Object.prototype keys.
import { describe, expect, it } from 'vitest';
import { MAX_ROOM_GRANTS, parseRoomGrants, roleForRoom } from '../../shared/grants.js';
import { decodeToken, roleFor } from '../../client/token.js';

const jwt = (payload: object): string =>
  ['e30', Buffer.from(JSON.stringify(payload)).toString('base64url'), 'sig'].join('.');

describe('room grants', () => {
  it('resolves prototype-named rooms the same way on client and relay', () => {
    const rooms = { '*': 'write' };
    const relayGrants = parseRoomGrants(rooms);
    const client = decodeToken(jwt({ sub: 'u', rooms }));
    expect(relayGrants).toBeDefined();
    expect(client).toBeDefined();
    for (const room of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(roleForRoom(relayGrants!, room)).toBe('write');
      expect(roleFor(client!, room)).toBe('write');
    }
  });

  it('never grants a prototype key that the claim does not name', () => {
    const grants = parseRoomGrants({ general: 'read' })!;
    expect(roleForRoom(grants, 'constructor')).toBeUndefined();
    expect(roleForRoom(grants, '__proto__')).toBeUndefined();
    expect(roleForRoom(grants, 'general')).toBe('read');
  });

  it('prefers an exact entry, then the longest prefix', () => {
    const grants = parseRoomGrants({ '*': 'read', 'team-*': 'write', 'team-ops': 'admin' })!;
    expect(roleForRoom(grants, 'team-ops')).toBe('admin');
    expect(roleForRoom(grants, 'team-dev')).toBe('write');
    expect(roleForRoom(grants, 'other')).toBe('read');
  });

  it('refuses malformed claims on the relay and drops malformed entries on the client', () => {
    expect(parseRoomGrants({ a: 'owner' })).toBeUndefined();
    expect(parseRoomGrants({ 'a/b': 'read' })).toBeUndefined();
    expect(parseRoomGrants(['a'])).toBeUndefined();
    const many = Object.fromEntries(Array.from({ length: MAX_ROOM_GRANTS + 1 }, (_, i) => [`r${i}`, 'read']));
    expect(parseRoomGrants(many)).toBeUndefined();
    expect(parseRoomGrants({ a: 'owner', b: 'read' }, false)).toEqual({ b: 'read' });
  });
});
