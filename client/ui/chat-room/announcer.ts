// A polite live region kept in the host's light DOM (slotted into a visually hidden slot), so screen readers hear new messages.

/**
 * Live regions inside shadow roots are announced unreliably by some screen readers; this one is a real child
 * of the host element, assigned to the `announcer` slot that the component renders visually hidden.
 */
export class Announcer {
  private region: HTMLElement | undefined;

  constructor(private readonly host: HTMLElement) {}

  attach(): void {
    if (this.region?.isConnected && this.region.parentElement === this.host) return;
    const region = document.createElement('div');
    region.setAttribute('slot', 'announcer');
    region.setAttribute('aria-live', 'polite');
    region.setAttribute('aria-atomic', 'true');
    region.dataset.parleyAnnouncer = '';
    this.host.append(region);
    this.region = region;
  }

  detach(): void {
    this.region?.remove();
    this.region = undefined;
  }

  /** Announces `text` (set as text, never as HTML); the same text twice is announced twice. */
  say(text: string): void {
    if (!this.region) return;
    this.region.textContent = '';
    const region = this.region;
    // A fresh text node after a clear makes screen readers announce a repeat of the same words.
    setTimeout(() => {
      region.textContent = text;
    }, 30);
  }

  get text(): string {
    return this.region?.textContent ?? '';
  }
}
