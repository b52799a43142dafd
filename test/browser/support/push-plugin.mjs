// A web-test-runner plugin that drives Web Push in headless Chromium through the DevTools protocol (no push service there), with the test push service.
import { tsImport } from 'tsx/esm/api';

/** The test push service (test/support/push-service.ts: https, checks VAPID, decrypts), one per test run. */
let service;
const pushService = () => (service ??= tsImport('../../support/push-service.ts', import.meta.url).then((m) => m.startPushService()));

/**
 * The relay's push options for the browser tests (used by relay-plugin.mjs): the test push service allowed and
 * trusted, bursts collapsed over 200 ms instead of 1 s.
 */
export async function relayPushOptions() {
  const { origin, ca } = await pushService();
  return { allowOrigins: [origin], trustedCa: ca, collapseMs: 200 };
}

/**
 * Commands (from the browser: `executeServerCommand(name, payload)`):
 * - `push-grant-notifications` `{ origin }`: grants the notifications permission to `origin` (CDP
 *   `Browser.grantPermissions`), as a user answering "Allow" would;
 * - `push-reset-permissions`: takes back every permission granted so (later test files start as a fresh profile);
 * - `push-deliver` `{ scope, data }`: delivers a push message with `data` (a string) to the service worker
 *   registered for `scope` (CDP `ServiceWorker.deliverPushMessage`): the worker gets a real `push` event, as
 *   if a push service had sent it. Resolves once Chromium accepted it (the worker handles it afterwards);
 * - `push-service-subscribe` `{ device }` → a subscription at the test push service (as `PushSubscription.toJSON()`),
 *   whose pushes the service decrypts;
 * - `push-service-received` `{ device }` → what the relay sent to it: `{ payload, vapidError, decryptError, urgency, topic, ttl }[]`.
 */
export function pushPlugin() {
  /** One DevTools session per test page, with the service worker registrations it has seen. */
  const sessions = new Map();

  const devtools = async (session) => {
    const known = sessions.get(session.id);
    if (known) return known;
    if (session.browser.type !== 'puppeteer') throw new Error('push commands need the Chrome launcher (puppeteer)');
    const page = session.browser.getPage(session.id);
    const cdp = await page.createCDPSession();
    const registrations = new Map();
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: updated }) => {
      for (const r of updated) {
        if (r.isDeleted) registrations.delete(r.registrationId);
        else registrations.set(r.registrationId, r);
      }
    });
    await cdp.send('ServiceWorker.enable');
    const entry = { page, cdp, registrations };
    sessions.set(session.id, entry);
    return entry;
  };

  const registrationFor = async (entry, scope) => {
    // Registrations are reported asynchronously after `enable` and after each registration: wait for this one.
    for (let i = 0; i < 500; i++) {
      const found = [...entry.registrations.values()].find((r) => r.scopeURL === scope);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no service worker registration for ${scope}; known: ${[...entry.registrations.values()].map((r) => r.scopeURL).join(', ')}`);
  };

  return {
    name: 'parley-push',
    async executeCommand({ command, payload, session }) {
      switch (command) {
        case 'push-grant-notifications': {
          const { page } = await devtools(session);
          await page.browserContext().overridePermissions(payload.origin, ['notifications']);
          return true;
        }
        case 'push-reset-permissions': {
          const { page } = await devtools(session);
          await page.browserContext().clearPermissionOverrides();
          return true;
        }
        case 'push-deliver': {
          const entry = await devtools(session);
          const registration = await registrationFor(entry, payload.scope);
          const origin = new URL(payload.scope).origin;
          await entry.cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: registration.registrationId, data: payload.data });
          return true;
        }
        case 'push-service-subscribe':
          return (await pushService()).subscribe(payload.device);
        case 'push-service-received':
          return (await pushService()).to(payload.device).map((r) => ({
            payload: r.payload, vapidError: r.vapidError, decryptError: r.decryptError,
            urgency: r.headers.urgency, topic: r.headers.topic, ttl: r.headers.ttl,
          }));
        default:
          return undefined;
      }
    },
    async serverStop() {
      for (const { cdp } of sessions.values()) await cdp.detach().catch(() => undefined);
      sessions.clear();
      if (service) await (await service).close();
      service = undefined;
    },
  };
}
