// The in-place HS256 verifier: accepts what jose signs, refuses every malformed, forged, expired or mis-addressed token with a code.
import { createHmac } from 'node:crypto';
import { SignJWT, base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import { createHs256Verifier, Hs256Error } from '../../relay/hs256-verify.js';

const secret = new TextEncoder().encode('test-secret-test-secret-test-secret-0123');
const other = new TextEncoder().encode('another-secret-another-secret-another-01');

const sign = (claims: Record<string, unknown>, options: { key?: Uint8Array; alg?: string; exp?: number | string } = {}) => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? 'HS256' }).setSubject('ada');
  if (options.exp !== undefined) jwt.setExpirationTime(options.exp);
  return jwt.sign(options.key ?? secret);
};

const codeOf = (verify: (token: string) => unknown, token: string): string => {
  try {
    verify(token);
  } catch (error) {
    expect(error).toBeInstanceOf(Hs256Error);
    return (error as Hs256Error).code;
  }
  return 'accepted';
};

describe('createHs256Verifier', () => {
  const verify = createHs256Verifier(secret, { clockTolerance: 5 });

  it('accepts a token jose signed with the secret and returns its claims', async () => {
    const payload = verify(await sign({ name: 'Ada', rooms: { '*': 'write' } }, { exp: '1h' }));
    expect(payload.sub).toBe('ada');
    expect(payload.name).toBe('Ada');
  });

  it('refuses a forged signature, another key, another algorithm and alg none', async () => {
    const good = await sign({}, { exp: '1h' });
    const [h, p, s] = good.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BA' : 'AA'}`;
    expect(codeOf(verify, flipped)).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    expect(codeOf(verify, await sign({}, { key: other, exp: '1h' }))).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    expect(codeOf(verify, await sign({}, { alg: 'HS512', exp: '1h' }))).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
    const none = `${base64url.encode(JSON.stringify({ alg: 'none' }))}.${p}.`;
    expect(codeOf(verify, none)).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
    // A payload changed after signing.
    const changed = `${h}.${base64url.encode(JSON.stringify({ sub: 'root', exp: 9_999_999_999 }))}.${s}`;
    expect(codeOf(verify, changed)).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('refuses malformed tokens and critical header extensions', async () => {
    for (const token of ['', 'abc', 'a.b', 'a.b.c.d', '.b.c', '!!!.e30.sig']) expect(codeOf(verify, token)).toBe('ERR_JWS_INVALID');
    const crit = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', crit: ['x'], x: 1 } as never).setExpirationTime('1h').sign(secret).catch(() => undefined);
    if (crit !== undefined) expect(codeOf(verify, crit)).toBe('ERR_JWS_INVALID');
  });

  it('refuses correctly signed tokens whose segments are not base64url JSON objects, before trusting any claim', () => {
    // Signed by hand, so that only the decoding can refuse them.
    const signed = (header: string, payload: string) => `${header}.${payload}.${createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')}`;
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const header = b64(JSON.stringify({ alg: 'HS256' }));
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const payload = b64(JSON.stringify({ sub: 'ada', exp }));
    expect(codeOf(verify, signed(header, payload))).toBe('accepted');
    let json = JSON.stringify({ sub: 'ada', exp });
    while (json.length % 3 !== 0) json = json.replace('{', '{ ');
    const aligned = b64(json); // a multiple of 4 characters
    expect(codeOf(verify, signed(header, aligned))).toBe('accepted');
    const refused = [
      signed(header, b64(JSON.stringify([{ sub: 'ada', exp }]))), // an array, not an object
      signed(header, b64('"ada"')),
      signed(header, b64('null')),
      signed(header, b64('{"sub":"ada",')), // not JSON
      signed(header, `${payload.slice(0, 4)} ${payload.slice(4)}`), // a character outside base64url
      signed(header, `${payload}+`),
      signed(header, `${aligned}A`), // length 4n + 1: Buffer would drop the last character and accept the rest
      signed(header, ''),
      signed(b64('[]'), payload),
      signed(`${header}=`, payload),
      `${signed(header, payload)}!`, // junk after the signature that Buffer would skip
    ];
    for (const token of refused) expect(codeOf(verify, token)).toBe('ERR_JWS_INVALID');
  });

  it('requires exp, honours the clock tolerance, and checks nbf', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(codeOf(verify, await sign({}))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(codeOf(verify, await sign({}, { exp: now - 60 }))).toBe('ERR_JWT_EXPIRED');
    expect(codeOf(verify, await sign({}, { exp: now - 2 }))).toBe('accepted');
    expect(codeOf(verify, await sign({ nbf: now + 600 }, { exp: '1h' }))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(codeOf(verify, await sign({ exp: 'soon' }))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('checks iss and aud when configured', async () => {
    const strict = createHs256Verifier(secret, { clockTolerance: 5, issuer: 'https://id.example', audience: 'parley' });
    expect(codeOf(strict, await sign({ iss: 'https://id.example', aud: ['x', 'parley'] }, { exp: '1h' }))).toBe('accepted');
    expect(codeOf(strict, await sign({ iss: 'https://evil.example', aud: 'parley' }, { exp: '1h' }))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(codeOf(strict, await sign({ iss: 'https://id.example', aud: 'other' }, { exp: '1h' }))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(codeOf(strict, await sign({ iss: 'https://id.example' }, { exp: '1h' }))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });
});
