// Asymmetric keys (RS256, ES256, EdDSA) from a PEM file or a JWKS URL, and the issuer/audience checks.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { ConfigError, type RelayOptions, type RunningRelay } from '../../relay/index.js';
import { decodeServerFrame, mintToken, rawClient, startTestRelay, tempDir, useTestRelay, waitFor } from './helpers.js';

type Alg = 'RS256' | 'ES256' | 'EdDSA';

const sign = (key: CryptoKey, alg: Alg, claims: { iss?: string; aud?: string; kid?: string } = {}) =>
  mintToken({ sub: 'ada', alg, key, ttl: 600, ...(claims.kid ? { kid: claims.kid } : {}), ...(claims.iss ? { issuer: claims.iss } : {}), ...(claims.aud ? { audience: claims.aud } : {}) });

/** Whether a connection with `token` is accepted (gets the relay's sync step 1) or closed, and how. */
const tryConnect = async (relay: RunningRelay, token: string) => {
  const client = rawClient(relay, 'keys', { token });
  await waitFor(() => client.closed ?? client.frames.some((f) => decodeServerFrame(f).type === 'sync'), 5000, 'the relay to greet or close the connection');
  if (client.closed) return client.closed.code;
  client.ws.close();
  return 'open';
};

describe('asymmetric keys', () => {
  for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
    describe(alg, () => {
      let keys: { privateKey: CryptoKey; other: CryptoKey };
      const server = useTestRelay(async () => {
        const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
        keys = { privateKey, other: (await generateKeyPair(alg)).privateKey };
        return { jwt: { publicKeyPem: await exportSPKI(publicKey), issuer: 'https://id.example', audience: 'parley' } };
      });

      it(`verifies ${alg} tokens with a PEM public key, checking iss and aud`, async () => {
        const { relay } = server;
        const { privateKey, other } = keys;
        expect(await tryConnect(relay, await sign(privateKey, alg, { iss: 'https://id.example', aud: 'parley' }))).toBe('open');
        expect(await tryConnect(relay, await sign(other, alg, { iss: 'https://id.example', aud: 'parley' }))).toBe(4401);
        expect(await tryConnect(relay, await sign(privateKey, alg, { iss: 'https://evil.example', aud: 'parley' }))).toBe(4401);
        expect(await tryConnect(relay, await sign(privateKey, alg, { iss: 'https://id.example', aud: 'other' }))).toBe(4401);
        expect(await tryConnect(relay, await sign(privateKey, alg))).toBe(4401);
      });
    });
  }

  describe('JWKS', () => {
    let jwks: Server | undefined;
    let privateKey: CryptoKey;
    const server = useTestRelay(async (): Promise<Partial<RelayOptions>> => {
      const pair = await generateKeyPair('ES256', { extractable: true });
      privateKey = pair.privateKey;
      const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
      jwks = createServer((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: [jwk] }));
      });
      await new Promise<void>((resolve) => jwks!.listen(0, '127.0.0.1', resolve));
      return { jwt: { jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json` } };
    });
    afterAll(() => jwks?.close());

    it('fetches keys from a JWKS URL', async () => {
      expect(await tryConnect(server.relay, await sign(privateKey, 'ES256', { kid: 'k1' }))).toBe('open');
      const stranger = await generateKeyPair('ES256');
      expect(await tryConnect(server.relay, await sign(stranger.privateKey, 'ES256', { kid: 'k1' }))).toBe(4401);
    });
  });

  it('refuses an unreadable or private key at start', async () => {
    // A relay that must not start: startTestRelay directly, as useTestRelay expects a running one.
    const data = tempDir();
    await expect(startTestRelay({ dataDir: data.dir, jwt: { publicKeyPem: 'not a key' } })).rejects.toThrow(ConfigError);
    data.cleanup();
  });
});
