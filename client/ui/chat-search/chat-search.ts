// Registers <chat-search> and declares its tag and events to TypeScript.
import { ChatSearch } from './chat-search.component.js';
import type { ChatSearchEventMap } from './chat-search.events.js';

export { ChatSearch } from './chat-search.component.js';
export type { ChatSearchEventMap, ChatSearchEvents, ChatSearchResultsDetail, ChatSearchSelectDetail } from './chat-search.events.js';

if (!customElements.get('chat-search')) customElements.define('chat-search', ChatSearch);

declare global {
  interface HTMLElementTagNameMap {
    'chat-search': ChatSearch;
  }
  interface HTMLElementEventMap extends ChatSearchEventMap {}
}
