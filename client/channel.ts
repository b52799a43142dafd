// Same-origin notifications between tabs (and between objects in one page) over BroadcastChannel.

/**
 * Subscribes to `name`; `post` reaches every other subscriber of that name, in this page or another tab
 * (a BroadcastChannel delivers to every other object of the same name, not to the sender). Without
 * BroadcastChannel (very old browsers) it does nothing: tabs then catch up when they next read storage.
 */
export function openChannel<T>(name: string, onMessage: (message: T) => void): { post(message: T): void; close(): void } {
  const bc = typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : undefined;
  if (bc) bc.onmessage = (event: MessageEvent) => onMessage(event.data as T);
  return {
    post: (message) => bc?.postMessage(message),
    close: () => bc?.close(),
  };
}
