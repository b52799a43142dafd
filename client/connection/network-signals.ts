// The browser's hints about the network (online/offline, the page coming back into view), for connections to act on at once.

export interface NetworkSignalHandlers {
  /** The browser reports a network again (also fired by a laptop waking up or a network switch). */
  online: () => void;
  /** The browser reports no network at all: sockets are dead or about to be. */
  offline: () => void;
  /** The page became visible (after sleep or a background period timers may have been throttled in). */
  visible: () => void;
}

/** Whether the browser says it has no network (`navigator.onLine === false`); false where unknown. */
export const browserOffline = (): boolean => typeof navigator !== 'undefined' && navigator.onLine === false;

/** Subscribes to the browser's network signals; returns the unsubscribe function. Does nothing outside a browser. */
export function watchNetwork(handlers: NetworkSignalHandlers): () => void {
  if (typeof window === 'undefined' || typeof document === 'undefined') return () => undefined;
  const online = (): void => handlers.online();
  const offline = (): void => handlers.offline();
  const visibility = (): void => {
    if (document.visibilityState === 'visible') handlers.visible();
  };
  window.addEventListener('online', online);
  window.addEventListener('offline', offline);
  document.addEventListener('visibilitychange', visibility);
  return () => {
    window.removeEventListener('online', online);
    window.removeEventListener('offline', offline);
    document.removeEventListener('visibilitychange', visibility);
  };
}
