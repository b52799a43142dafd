// A real push service for tests: an https server on 127.0.0.1 that checks VAPID, decrypts payloads like a browser would, and answers as told.
import { createECDH, randomBytes, type ECDH } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, jwtVerify } from 'jose';
// @ts-expect-error http_ece ships no types.
import ece from 'http_ece';
import type { PushPayload, PushSubscriptionJson } from '../../shared/push.js';

/** How the service answers one endpoint: a status, or `hang` (read the request, never answer). */
export type PushBehaviour = 201 | 404 | 410 | 429 | 500 | 'hang';

/** One request the relay made. */
export interface ReceivedPush {
  /** The endpoint's device name (`/push/<device>`). */
  device: string;
  status: PushBehaviour;
  /** When the request had been read (ms, Date.now()). */
  at: number;
  headers: Record<string, string | string[] | undefined>;
  /** Why the VAPID header failed to verify (undefined: it verified: ES256 by `k`, aud = origin, exp in the future, sub). */
  vapidError: string | undefined;
  /** The decrypted payload, or undefined when decryption failed (then `decryptError`). */
  payload: PushPayload | undefined;
  decryptError: string | undefined;
}

/** A simulated browser's subscription: the JSON the relay gets, and the keys to decrypt with. */
interface Device {
  ecdh: ECDH;
  auth: Buffer;
  behaviour: PushBehaviour;
  /** Answers to give before `behaviour` (e.g. [500, 500] then 201). */
  script: PushBehaviour[];
}

export interface TestPushService {
  /** `https://127.0.0.1:PORT`: give it to the relay's allow-list. */
  readonly origin: string;
  /** The certificate to trust (PushOptions.trustedCa). */
  readonly ca: string;
  readonly received: ReceivedPush[];
  /** A new device subscription (`PushSubscription.toJSON()` shape) with its own P-256 keys and auth secret. */
  subscribe(device: string, behaviour?: PushBehaviour): PushSubscriptionJson;
  /** Changes how `device`'s endpoint answers; `script` answers come first, one per request. */
  behave(device: string, behaviour: PushBehaviour, script?: PushBehaviour[]): void;
  /** Requests received for `device`. */
  to(device: string): ReceivedPush[];
  close(): Promise<void>;
}

/** A self-signed P-256 certificate for 127.0.0.1 (openssl, as Debian ships it). */
function selfSigned(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-push-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Checks `Authorization: vapid t=<JWT>, k=<key>` as a push service does (RFC 8292). */
async function checkVapid(header: string | undefined, origin: string): Promise<string | undefined> {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!match) return `bad Authorization header: ${String(header).slice(0, 40)}`;
  const raw = Buffer.from(match[2]!, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) return 'k is not an uncompressed P-256 key';
  try {
    const key = await importJWK({ kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }, 'ES256');
    const { payload } = await jwtVerify(match[1]!, key, { audience: origin, algorithms: ['ES256'], requiredClaims: ['exp', 'sub'] });
    if (typeof payload.sub !== 'string' || !/^(mailto:|https:)/.test(payload.sub)) return 'sub is not mailto: or https:';
    if ((payload.exp ?? 0) > Date.now() / 1000 + 24 * 3600) return 'exp more than 24 h ahead';
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Starts the service on a free port of 127.0.0.1. `verify: false` (benchmarks) records requests without checking or decrypting them. */
export async function startPushService({ verify = true }: { verify?: boolean } = {}): Promise<TestPushService> {
  const { key, cert } = selfSigned();
  const devices = new Map<string, Device>();
  const received: ReceivedPush[] = [];
  const hanging = new Set<import('node:http').ServerResponse>();
  let origin = '';
  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const device = decodeURIComponent((req.url ?? '').replace(/^\/push\//, ''));
        const at = Date.now();
        const known = devices.get(device);
        const status: PushBehaviour = known ? (known.script.shift() ?? known.behaviour) : 404;
        const vapidError = verify ? await checkVapid(req.headers.authorization, origin) : undefined;
        const entry: ReceivedPush = { device, status, at, headers: req.headers, vapidError, payload: undefined, decryptError: undefined };
        if (known && verify) {
          try {
            const plain: Buffer = ece.decrypt(Buffer.concat(chunks), { version: 'aes128gcm', privateKey: known.ecdh, authSecret: known.auth });
            entry.payload = JSON.parse(plain.toString('utf8')) as PushPayload;
          } catch (error) {
            entry.decryptError = (error as Error).message;
          }
        }
        received.push(entry);
        if (status === 'hang') {
          hanging.add(res);
          return;
        }
        res.writeHead(status, status === 429 ? { 'Retry-After': '0' } : {});
        res.end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    ca: cert,
    received,
    subscribe(device, behaviour = 201) {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      devices.set(device, { ecdh, auth, behaviour, script: [] });
      return {
        endpoint: `${origin}/push/${encodeURIComponent(device)}`,
        expirationTime: null,
        keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
      };
    },
    behave(device, behaviour, script = []) {
      const known = devices.get(device);
      if (!known) throw new Error(`no device ${device}`);
      known.behaviour = behaviour;
      known.script = [...script];
    },
    to: (device) => received.filter((r) => r.device === device),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
