// Asymmetric keys (RS256, ES256, EdDSA) from a PEM file or a JWKS URL, and the issuer/audience checks.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { ConfigError } from '../../relay/index.js';
import { decodeServerFrame, rawClient, startTestRelay, tempDir, waitFor } from './helpers.js';

type Alg = 'RS256' | 'ES256' | 'EdDSA';

const sign = (key: CryptoKey, alg: Alg, claims: { iss?: string; aud?: string; kid?: string } = {}) => {
  let jwt = new SignJWT({ name: 'Ada', rooms: { '*': 'write' } })
    .setProtectedHeader({ alg, ...(claims.kid ? { kid: claims.kid } : {}) })
    .setSubject('ada')
    .setExpirationTime('10m');
  if (claims.iss) jwt = jwt.setIssuer(claims.iss);
  if (claims.aud) jwt = jwt.setAudience(claims.aud);
  return jwt.sign(key);
};

/** Whether a connection with `token` is accepted (gets the relay's sync step 1) or closed, and how. */
const tryConnect = async (relay: { url: string; port: number; devMode: boolean; close(): Promise<void> }, token: string) => {
  const client = rawClient(relay, 'keys', { token });
  await waitFor(() => client.closed ?? client.frames.some((f) => decodeServerFrame(f).type === 'sync'));
  if (client.closed) return client.closed.code;
  client.ws.close();
  return 'open';
};

describe('asymmetric keys', () => {
  for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
    it(`verifies ${alg} tokens with a PEM public key, checking iss and aud`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const other = await generateKeyPair(alg);
      const data = tempDir();
      const relay = await startTestRelay({
        dataDir: data.dir,
        jwt: { publicKeyPem: await exportSPKI(publicKey), issuer: 'https://id.example', audience: 'parley' },
      });
      expect(await tryConnect(relay, await sign(privateKey, alg, { iss: 'https://id.example', aud: 'parley' }))).toBe('open');
      expect(await tryConnect(relay, await sign(other.privateKey, alg, { iss: 'https://id.example', aud: 'parley' }))).toBe(4401);
      expect(await tryConnect(relay, await sign(privateKey, alg, { iss: 'https://evil.example', aud: 'parley' }))).toBe(4401);
      expect(await tryConnect(relay, await sign(privateKey, alg, { iss: 'https://id.example', aud: 'other' }))).toBe(4401);
      expect(await tryConnect(relay, await sign(privateKey, alg))).toBe(4401);
      await relay.close();
      data.cleanup();
    });
  }

  it('fetches keys from a JWKS URL', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const server: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    const data = tempDir();
    const relay = await startTestRelay({ dataDir: data.dir, jwt: { jwksUrl } });
    expect(await tryConnect(relay, await sign(privateKey, 'ES256', { kid: 'k1' }))).toBe('open');
    const stranger = await generateKeyPair('ES256');
    expect(await tryConnect(relay, await sign(stranger.privateKey, 'ES256', { kid: 'k1' }))).toBe(4401);
    await relay.close();
    server.close();
    data.cleanup();
  });

  it('refuses an unreadable or private key at start', async () => {
    await expect(startTestRelay({ dataDir: tempDir().dir, jwt: { publicKeyPem: 'not a key' } })).rejects.toThrow(ConfigError);
  });
});
