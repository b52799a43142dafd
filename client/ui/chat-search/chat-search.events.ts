// The events <chat-search> fires, declared once with their detail types, and a typed emit checked against them.

/** `detail` of `chat-search-select`: the user chose a result (open `room` scrolled to `messageId`). */
export interface ChatSearchSelectDetail {
  room: string;
  messageId: string;
  /** The thread the message is in, when it is a thread reply. */
  threadRoot?: string;
}
/** `detail` of `chat-search-results`: results for what is typed now arrived (`total` matches). */
export interface ChatSearchResultsDetail {
  query: string;
  total: number;
}

/** Every event of the element by name, with its detail type. */
export interface ChatSearchEvents {
  'chat-search-select': ChatSearchSelectDetail;
  'chat-search-results': ChatSearchResultsDetail;
  'chat-search-close': Record<string, never>;
}

export type ChatSearchEventMap = { [K in keyof ChatSearchEvents]: CustomEvent<ChatSearchEvents[K]> };

/** Fires `type` from `target`, bubbling and composed. */
export function emit<K extends keyof ChatSearchEvents>(target: EventTarget, type: K, detail: ChatSearchEvents[K]): boolean {
  return target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}
