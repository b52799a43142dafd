// The app's Web Push state: registers this device with the relay on enable and on every start, unregisters on sign-out, answers its worker.
import type { GetToken } from '../../index.js';
import { connectPushBridge } from '../../push/page-bridge.js';
import { pushApi, type PushApi } from '../../push/push-api.js';
import { describePushError } from '../../push/push-error.js';
import { registerPush, unregisterPush, type PushManagerLike } from '../../push/push-subscriber.js';

/** How long sign-out waits for the relay to forget this device. */
const UNREGISTER_WAIT_MS = 15_000;

/** `off`: not set up (no permission yet); `registering`; `on`: the relay has this device; `error`: see `error`. */
export type PushStatus = 'off' | 'registering' | 'on' | 'error';

export interface AppPushOptions {
  relayUrl: string;
  getToken: GetToken;
  /** The conversation on screen (the worker shows no notification for it while the page is visible). */
  shownRoom(): string | undefined;
  /** A notification was clicked: show this conversation (at the message). */
  openRoom(room: string, messageId?: string): void;
  /** The status or error changed (re-render). */
  onChange(): void;
  /** Seams for tests: the relay API and the push manager (default: the app's service worker's). */
  api?: PushApi;
  pushManager?: () => Promise<PushManagerLike>;
}

/** One signed-in session's push: at most one registration in flight, errors kept for the UI, never thrown. */
export class AppPush {
  status: PushStatus = 'off';
  /** What went wrong, in words for the user (empty when nothing did). */
  error = '';
  private readonly api: PushApi;
  private readonly stopBridge: () => void;
  private running: Promise<void> | undefined;

  constructor(private readonly options: AppPushOptions) {
    this.api = options.api ?? pushApi({ relayUrl: options.relayUrl, getToken: options.getToken });
    this.stopBridge = connectPushBridge({
      shownRoom: options.shownRoom,
      openRoom: options.openRoom,
      subscriptionChanged: () => void this.register(),
    });
  }

  /**
   * On start, and when the permission may have changed (allowed in another tab or the site settings): registers
   * once notifications are allowed and this session has not registered yet (subscriptions rotate; the relay
   * prunes dead ones, so every start registers again).
   */
  resume(): Promise<void> {
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted' || this.status !== 'off') return Promise.resolve();
    return this.register();
  }

  /** Subscribes this device and registers it with the relay (after the user allowed notifications). */
  register(): Promise<void> {
    this.running ??= (async () => {
      this.set('registering', '');
      try {
        await registerPush({ api: this.api, ...(this.options.pushManager ? { pushManager: this.options.pushManager } : {}) });
        this.set('on', '');
      } catch (error) {
        this.set('error', describePushError(error));
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /**
   * On sign-out, before local data is wiped and while a token can still be had: the relay forgets this device
   * and the browser ends the subscription. A failure is reported, never thrown (signing out goes on).
   */
  async unregister(): Promise<void> {
    const work = (async () => {
      await this.running?.catch(() => undefined);
      try {
        await unregisterPush({ api: this.api, ...(this.options.pushManager ? { pushManager: this.options.pushManager } : {}) });
        this.set('off', '');
      } catch (error) {
        this.set('off', describePushError(error));
      }
    })();
    // A token source or relay that hangs must not hold sign-out: it goes on, and the unsubscribe still completes.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, UNREGISTER_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** Stops answering the worker (the element left the page or signed out). */
  stop(): void {
    this.stopBridge();
  }

  private set(status: PushStatus, error: string): void {
    this.status = status;
    this.error = error;
    this.options.onChange();
  }
}
