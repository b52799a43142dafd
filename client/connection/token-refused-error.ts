// The error a `getToken` throws when the identity provider refused to issue a token (as opposed to being unreachable).

/**
 * Throw this from `getToken` when the identity provider answered and said no (session expired, signed out,
 * 401/403 from the token endpoint): the conversation shows `auth-expired` and retries with backoff. Any other
 * error (a failed `fetch`, a timeout, a 5xx) is taken as "the network or the provider is down": the
 * conversation shows `offline`, keeps its cached history, and retries like any other lost connection.
 *
 * @example
 * getToken: async ({ room }) => {
 *   const res = await fetch(`/token?room=${room}`); // rejects (TypeError) when offline → `offline`
 *   if (res.status === 401 || res.status === 403) throw new TokenRefusedError(await res.text());
 *   if (!res.ok) throw new Error(`token endpoint: HTTP ${res.status}`); // → `offline`, retried
 *   return res.text();
 * }
 */
export class TokenRefusedError extends Error {
  override name = 'TokenRefusedError';
}
