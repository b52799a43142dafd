// Which push-service origins the relay sends to: the browsers' push services, plus origins the operator adds.
import { MAX_ENDPOINT_LENGTH } from '../../shared/push.js';

/**
 * The browsers' push services (2026): Chrome, Edge on Android, Opera, Samsung → FCM; Firefox → Mozilla autopush;
 * Safari (macOS 13+, iOS 16.4+) → `web.push.apple.com` (Apple may move it under `*.push.apple.com`);
 * Edge on Windows → WNS (`*.notify.windows.com`, e.g. `wns2-by3p.notify.windows.com`).
 */
export const DEFAULT_PUSH_ORIGINS: readonly string[] = [
  'https://fcm.googleapis.com',
  'https://updates.push.services.mozilla.com',
  'https://web.push.apple.com',
  'https://*.push.apple.com',
  'https://*.notify.windows.com',
];

/** An origin pattern that is not `https://host[:port]` or `https://*.domain[:port]`. */
export class AllowListError extends Error {
  override name = 'AllowListError';
}

interface Pattern {
  /** Exact host, or the suffix (with its leading dot) a wildcard's hosts end with. */
  host: string;
  wildcard: boolean;
  /** The URL's port as `URL.port` gives it ('' for 443). */
  port: string;
}

const PATTERN = /^https:\/\/(\*\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::(\d{1,5}))?\/?$/;

/** Parses `https://host[:port]` or `https://*.domain[:port]`; throws AllowListError otherwise. */
export function parseOriginPattern(text: string): Pattern {
  const match = PATTERN.exec(text.trim().toLowerCase());
  if (!match) throw new AllowListError(`push origin ${JSON.stringify(text.slice(0, 200))}: expected https://host[:port] or https://*.domain[:port]`);
  const [, star, host, port] = match;
  const portText = port === undefined || port === '443' ? '' : String(Number(port));
  if (Number(port ?? 443) > 65535) throw new AllowListError(`push origin ${text}: bad port`);
  return { host: star ? `.${host!}` : host!, wildcard: Boolean(star), port: portText };
}

/** Decides whether a subscription's endpoint may be sent to. */
export interface EndpointAllowList {
  /** True only for an https URL without credentials whose origin matches a pattern. */
  allows(endpoint: string): boolean;
  /** The patterns, as configured (for logs and docs). */
  readonly origins: readonly string[];
}

/** The default origins plus `extra` (e.g. a test's push service, a private deployment's). */
export function createEndpointAllowList(extra: readonly string[] = [], defaults: readonly string[] = DEFAULT_PUSH_ORIGINS): EndpointAllowList {
  const origins = [...defaults, ...extra];
  const patterns = origins.map(parseOriginPattern);
  return {
    origins,
    allows(endpoint) {
      if (typeof endpoint !== 'string' || endpoint.length > MAX_ENDPOINT_LENGTH) return false;
      let url: URL;
      try {
        url = new URL(endpoint);
      } catch {
        return false;
      }
      if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') return false;
      const host = url.hostname;
      return patterns.some((p) => p.port === url.port && (p.wildcard ? host.endsWith(p.host) && host.length > p.host.length : host === p.host));
    },
  };
}
