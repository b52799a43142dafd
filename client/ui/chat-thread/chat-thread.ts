// Registers <chat-thread> and declares its tag and event to TypeScript.
import { ChatThread } from './chat-thread.component.js';

export { ChatThread } from './chat-thread.component.js';

if (!customElements.get('chat-thread')) customElements.define('chat-thread', ChatThread);

declare global {
  interface HTMLElementTagNameMap {
    'chat-thread': ChatThread;
  }
  interface HTMLElementEventMap {
    'chat-thread-close': CustomEvent<{ root: string | undefined }>;
  }
}
