// The error class of the client's Web Push side: one code per way enabling or registering push can fail.

/**
 * Why push could not be set up or registered: `unsupported` (no service worker or Push API here),
 * `permission-denied` (the user or the browser blocked notifications), `subscribe-failed` (the browser's push
 * service refused or is unreachable), `network` (the relay could not be reached), or the relay's own error
 * code (`push-disabled`, `bad-subscription`, `endpoint-not-allowed`, `not-found`, …) with its HTTP status.
 */
export class PushError extends Error {
  override name = 'PushError';
  constructor(readonly code: string, message: string, readonly status = 0) {
    super(message);
  }
}

/** A sentence a person can act on, for the app's notification settings. */
export function describePushError(error: unknown): string {
  if (!(error instanceof PushError)) return `Push notifications could not be set up: ${(error as Error)?.message ?? String(error)}`;
  switch (error.code) {
    case 'unsupported':
      return 'This browser cannot receive push notifications (no service worker or Push API here). Notifications still show while Parley is open.';
    case 'permission-denied':
      return "Notifications are blocked for this site. Allow them in the browser's site settings, then try again.";
    case 'push-disabled':
      return 'This relay does not send push notifications. Notifications still show while Parley is open.';
    case 'network':
      return 'The relay could not be reached to register this device for notifications. Parley tries again when it next starts.';
    case 'subscribe-failed':
      return `The browser's push service refused the subscription: ${error.message}`;
    default:
      return `The relay refused this device's push subscription: ${error.message} (${error.code}).`;
  }
}
