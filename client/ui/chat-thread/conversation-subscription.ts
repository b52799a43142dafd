// Lit controller that follows a conversation the host was given: its latest state while connected.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Conversation, ConversationState } from '../../index.js';

/** Subscribes to `conversation()` while the host is connected; `state` is its latest state. */
export class ConversationSubscription implements ReactiveController {
  state: ConversationState | undefined;
  private current: Conversation | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly conversation: () => Conversation | undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.follow();
  }

  hostUpdate(): void {
    this.follow();
  }

  hostDisconnected(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.current = undefined;
  }

  private follow(): void {
    const next = this.conversation();
    if (next === this.current && this.unsubscribe) return;
    this.unsubscribe?.();
    this.current = next;
    this.state = next?.getState();
    this.unsubscribe = next?.subscribe((state) => {
      this.state = state;
      this.host.requestUpdate();
    });
  }
}
