// Registers <chat-app> (and, through it, <chat-room>) and declares its tag to TypeScript.
import { ChatApp } from './chat-app.component.js';

export { ChatApp } from './chat-app.component.js';

if (!customElements.get('chat-app')) customElements.define('chat-app', ChatApp);

declare global {
  interface HTMLElementTagNameMap {
    'chat-app': ChatApp;
  }
}
