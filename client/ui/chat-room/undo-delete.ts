// Deletes that wait out an undo time: the row shows "Deleting… Undo" until the time is up.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Conversation } from '../../index.js';

/** How long a delete can be undone. */
export const UNDO_DELETE_MS = 5_000;

/**
 * Holds each requested delete for `UNDO_DELETE_MS`, then deletes through the conversation it was asked in.
 * When the host leaves the page, waiting deletes happen at once (the user asked for them).
 */
export class UndoDelete implements ReactiveController {
  private readonly waiting = new Map<string, { timer: ReturnType<typeof setTimeout>; conversation: Conversation }>();

  constructor(
    private readonly host: ReactiveControllerHost,
    /** Runs the delete, reporting a failure the way the host reports errors. */
    private readonly run: (operation: () => unknown) => unknown,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    for (const id of [...this.waiting.keys()]) this.finish(id);
  }

  /** Whether message `id` is waiting to be deleted. */
  has(id: string): boolean {
    return this.waiting.has(id);
  }

  /** Deletes message `id` after the undo time. */
  start(id: string, conversation: Conversation): void {
    if (this.waiting.has(id)) return;
    this.waiting.set(id, { timer: setTimeout(() => this.finish(id), UNDO_DELETE_MS), conversation });
    this.host.requestUpdate();
  }

  /** Keeps message `id`. */
  undo(id: string): void {
    const entry = this.waiting.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.waiting.delete(id);
    this.host.requestUpdate();
  }

  private finish(id: string): void {
    const entry = this.waiting.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.waiting.delete(id);
    void this.run(() => entry.conversation.delete(id));
    this.host.requestUpdate();
  }
}
