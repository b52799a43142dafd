// The push rules shared by relay and service worker: subscriptions accepted, who is notified, and account settings.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { defaultNotifyLevel, readSettings, setSetting, SETTINGS } from '../../shared/account.js';
import { RuleError } from '../../shared/errors.js';
import { checkPushSubscription, shouldNotify, type NotifySettings } from '../../shared/push.js';

const p256dh = `B${'A'.repeat(86)}`; // 65 bytes in base64url: 87 characters
const auth = 'A'.repeat(22); // 16 bytes
const good = { endpoint: 'https://fcm.googleapis.com/fcm/send/abc:def', expirationTime: null, keys: { p256dh, auth } };

describe('checkPushSubscription', () => {
  it('accepts what PushSubscription.toJSON() gives', () => {
    expect(() => checkPushSubscription(good)).not.toThrow();
    expect(() => checkPushSubscription({ ...good, endpoint: 'https://127.0.0.1:8443/push/1' })).not.toThrow();
  });

  const bad: Array<[string, unknown]> = [
    ['not an object', 'https://fcm.googleapis.com/x'],
    ['an array', [good]],
    ['no endpoint', { keys: good.keys }],
    ['http endpoint', { ...good, endpoint: 'http://fcm.googleapis.com/x' }],
    ['credentials in the endpoint', { ...good, endpoint: 'https://user:pw@fcm.googleapis.com/x' }],
    ['javascript: endpoint', { ...good, endpoint: 'javascript:alert(1)' }],
    ['endpoint with spaces', { ...good, endpoint: 'https://fcm.googleapis.com/a b' }],
    ['endpoint too long', { ...good, endpoint: `https://fcm.googleapis.com/${'a'.repeat(1100)}` }],
    ['no keys', { endpoint: good.endpoint }],
    ['short p256dh', { ...good, keys: { p256dh: 'AAAA', auth } }],
    ['p256dh not base64url', { ...good, keys: { p256dh: `B${'+'.repeat(86)}`, auth } }],
    ['long auth', { ...good, keys: { p256dh, auth: 'A'.repeat(40) } }],
    ['auth a number', { ...good, keys: { p256dh, auth: 16 } }],
    ['expirationTime a string', { ...good, expirationTime: 'soon' }],
  ];
  it.each(bad)('refuses %s with bad-subscription', (_name, value) => {
    let error: unknown;
    try {
      checkPushSubscription(value);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RuleError);
    expect((error as RuleError).code).toBe('bad-subscription');
  });
});

describe('shouldNotify', () => {
  const now = 1_000_000;
  const muted = now + 60_000;
  // [level, muted, kind, mentioned] → notified
  const table: Array<[NotifySettings['level'], boolean, 'direct' | 'group' | 'channel', boolean, boolean]> = [
    ['all', false, 'group', false, true],
    ['all', false, 'group', true, true],
    ['all', true, 'group', true, false], // muted at "all": nothing, not even a mention
    ['mentions', false, 'group', false, false],
    ['mentions', false, 'group', true, true],
    ['mentions', false, 'channel', false, false],
    ['mentions', false, 'direct', false, true], // level "mentions and direct messages"
    ['mentions', true, 'group', true, true], // the one thing that reaches a muted conversation
    ['mentions', true, 'direct', false, false],
    ['none', false, 'direct', true, false],
    ['none', true, 'group', true, false],
  ];
  it.each(table)('level %s, muted %s, %s, mentioned %s → %s', (level, isMuted, kind, mentioned, expected) => {
    expect(shouldNotify({ level, mutedUntil: isMuted ? muted : 0 }, kind, mentioned, now)).toBe(expected);
  });

  it('a mute that has ended no longer counts', () => {
    expect(shouldNotify({ level: 'all', mutedUntil: now - 1 }, 'group', false, now)).toBe(true);
  });

  it('defaults: direct conversations notify every message, groups and channels mentions only', () => {
    expect(defaultNotifyLevel('direct')).toBe('all');
    expect(defaultNotifyLevel('group')).toBe('mentions');
    expect(defaultNotifyLevel('channel')).toBe('mentions');
  });
});

describe('account settings', () => {
  it('sets and reads hideMessageText, and refuses unknown keys and wrong types', () => {
    const doc = new Y.Doc();
    expect(readSettings(doc)).toEqual({});
    setSetting(doc, 'hideMessageText', true);
    expect(readSettings(doc)).toEqual({ hideMessageText: true });
    expect(() => setSetting(doc, 'hideMessageText', 'yes' as unknown as boolean)).toThrow(RuleError);
    expect(() => setSetting(doc, 'constructor' as 'hideMessageText', true)).toThrow(/does not know/);
    // What another writer put there that is not well-formed is ignored on read.
    doc.getMap(SETTINGS).set('hideMessageText', 'no');
    doc.getMap(SETTINGS).set('__proto__', true);
    expect(readSettings(doc)).toEqual({});
  });
});
