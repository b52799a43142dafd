// Yielding to the browser between slices of long work (loading a long conversation), so the page stays responsive.

/**
 * Resolves in a later task, letting the browser paint and run input, timers and other tasks in between. A message
 * task, not `scheduler.yield()`: Chromium runs yield continuations ahead of timers and other tasks, which then
 * wait for the whole load (test/browser/client-piece-load.test.ts); nor a timeout: nested ones are clamped to 4 ms.
 */
export const nextTask = (): Promise<void> =>
  new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
