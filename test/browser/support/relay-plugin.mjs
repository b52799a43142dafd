// A web-test-runner plugin that runs a real relay for the browser tests and lets them stop, restart it and mint tokens.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { tsImport } from 'tsx/esm/api';
import { startNetworkCut } from './network-cut.mjs';
import { relayPushOptions } from './push-plugin.mjs';

/**
 * Commands (from the browser: `executeServerCommand(name, payload)`):
 * - `relay-info` → `{ url, running }`: the relay's base WebSocket URL (stable across restarts);
 * - `relay-stop` / `relay-start` `{ newSecret? }`: take the relay down and bring it back on the same port and data
 *   directory (`newSecret`: with a new signing key, as a dev-mode relay does on every start: old tokens get 4401);
 * - `network-info` → `{ url }`: the relay behind a proxy that can cut the network (support/network-cut.mjs);
 * - `network-cut` `{ cut }`: cut that network (silence, half-open sockets) or bring it back;
 * - `relay-token` `{ sub, name?, rooms, ttlSeconds? }` → a signed HS256 token (ttl may be negative: expired);
 * - `relay-delete-room` `{ room }` → the HTTP status of the admin `DELETE /rooms/:room`.
 */
export function relayPlugin() {
  let secret = randomBytes(32).toString('hex');
  let relay;
  let port = 0;
  let dataDir;
  let startRelay;
  let network;

  const start = async () => {
    relay = await startRelay({ port, host: '127.0.0.1', dataDir, jwt: { secret }, devMode: false, logLevel: 'silent', membership: { creation: 'open' }, push: await relayPushOptions() });
    port = relay.port;
  };

  const sign = ({ sub, name = sub, rooms, ttlSeconds = 3600 }) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ name, rooms })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(new TextEncoder().encode(secret));
  };

  return {
    name: 'parley-relay',
    async serverStart() {
      ({ startRelay } = await tsImport('../../../relay/index.ts', import.meta.url));
      dataDir = await mkdtemp(join(tmpdir(), 'parley-browser-tests-'));
      await start();
      network = await startNetworkCut(() => port);
    },
    async serverStop() {
      await network?.close();
      await relay?.close();
      relay = undefined;
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
    async executeCommand({ command, payload }) {
      switch (command) {
        case 'relay-info':
          return { url: `ws://127.0.0.1:${port}`, running: relay !== undefined };
        case 'relay-stop':
          if (relay) await relay.close();
          relay = undefined;
          return true;
        case 'relay-start':
          if (payload?.newSecret) {
            if (relay) await relay.close();
            relay = undefined;
            secret = randomBytes(32).toString('hex');
          }
          if (!relay) await start();
          return true;
        case 'network-info':
          return { url: `ws://127.0.0.1:${network.port}` };
        case 'network-cut':
          network.setCut(payload.cut === true);
          return true;
        case 'relay-token':
          return sign(payload);
        case 'relay-delete-room': {
          // The admin API, called from Node: the relay's HTTP side need not answer cross-origin requests.
          const token = await sign({ sub: 'test-admin', rooms: { [payload.room]: 'admin' } });
          const res = await fetch(`http://127.0.0.1:${port}/rooms/${encodeURIComponent(payload.room)}`, {
            method: 'DELETE',
            headers: { authorization: `Bearer ${token}` },
          });
          return res.status;
        }
        default:
          return undefined;
      }
    },
  };
}
