// Push configuration: flags and environment, the allow-list's matching, configured or stored VAPID keys, and bad values refused at start.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import webpush from 'web-push';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../relay/cli-args.js';
import { ConfigError } from '../../relay/index.js';
import { createEndpointAllowList } from '../../relay/push/endpoint-allow-list.js';
import { startTestRelay, tempDir } from './helpers.js';

describe('push configuration', () => {
  it('reads --no-push, --push-allow-origin (repeatable), the VAPID flags and their environment variables', () => {
    const dir = tempDir();
    const keys = webpush.generateVAPIDKeys();
    const file = join(dir.dir, 'vapid-private');
    writeFileSync(file, `${keys.privateKey}\n`);
    const flags = parseCli(['--no-push', '--push-allow-origin', 'https://push.example.org', '--push-allow-origin', 'https://*.example.net:8443', '--vapid-subject', 'mailto:ops@example.org', '--vapid-public-key', keys.publicKey, '--vapid-private-key-file', file], {});
    expect(!flags.help && flags.options.push).toEqual({
      enabled: false, subject: 'mailto:ops@example.org', vapidKeys: keys, allowOrigins: ['https://push.example.org', 'https://*.example.net:8443'],
    });
    const env = parseCli([], { PARLEY_PUSH: 'off', PARLEY_PUSH_ALLOW_ORIGINS: 'https://a.example, https://b.example' });
    expect(!env.help && env.options.push).toEqual({ enabled: false, allowOrigins: ['https://a.example', 'https://b.example'] });
    expect(() => parseCli(['--vapid-public-key', keys.publicKey], {})).toThrow(/both --vapid-public-key and --vapid-private-key-file/);
    expect(() => parseCli([], { PARLEY_PUSH: 'maybe' })).toThrow(ConfigError);
    dir.cleanup();
  });

  it('allow only https origins of the list: exact hosts and ports, wildcards for subdomains only', () => {
    const list = createEndpointAllowList(['https://127.0.0.1:8443']);
    const allowed = ['https://fcm.googleapis.com/fcm/send/x', 'https://wns2-by3p.notify.windows.com/w/?token=x', 'https://web.push.apple.com/Q', 'https://api.push.apple.com/x', 'https://127.0.0.1:8443/push/x'];
    const refused = [
      'http://fcm.googleapis.com/fcm/send/x', 'https://fcm.googleapis.com:444/x', 'https://fcm.googleapis.com.evil.example/x', 'https://evilfcm.googleapis.com/x',
      'https://notify.windows.com/x', 'https://x@fcm.googleapis.com/x', 'https://127.0.0.1/push/x', 'https://127.0.0.1:8444/push/x', 'not a url', `https://fcm.googleapis.com/${'a'.repeat(2000)}`,
    ];
    for (const endpoint of allowed) expect(list.allows(endpoint), endpoint).toBe(true);
    for (const endpoint of refused) expect(list.allows(endpoint), endpoint).toBe(false);
  });

  it('refuse bad push options at start with a clear message', async () => {
    await expect(startTestRelay({ push: { allowOrigins: ['http://127.0.0.1:1'] } })).rejects.toThrow(/expected https:\/\/host/);
    await expect(startTestRelay({ push: { subject: 'ops@example.org' } })).rejects.toThrow(/VAPID subject/);
    await expect(startTestRelay({ push: { vapidKeys: { publicKey: 'abc', privateKey: 'def' } } })).rejects.toThrow(/VAPID public key/);
    await expect(startTestRelay({ push: { collapseMs: -1 } })).rejects.toThrow(ConfigError);
  });

  it('use configured keys; refuse to start on an unreadable key file rather than orphan every subscription', async () => {
    const keys = webpush.generateVAPIDKeys();
    const dir = tempDir();
    const relay = await startTestRelay({ dataDir: dir.dir, push: { vapidKeys: keys } });
    expect(await (await fetch(`${relay.url}/push/vapid-public-key`)).json()).toEqual({ publicKey: keys.publicKey });
    await relay.close();
    mkdirSync(join(dir.dir, 'push'), { recursive: true });
    writeFileSync(join(dir.dir, 'push', 'vapid-keys.json'), '{"publicKey":');
    await expect(startTestRelay({ dataDir: dir.dir })).rejects.toThrow(/vapid-keys.json is not JSON/);
    dir.cleanup();
  });
});
