// Lit controller that ties a host to a live local search: one LiveSearch while connected, the latest answer as state.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { LiveSearch, LocalSearch } from '../../search/local-search.js';
import type { SearchRequest, SearchResponse } from '../../search/search-types.js';

/** Follows what the host asks for; `response` is the answer to the latest request (never a stale one). */
export class SearchController implements ReactiveController {
  response: SearchResponse | undefined;
  /** The request `response` answers. */
  answered: SearchRequest | undefined;
  error: string | undefined;
  private live: LiveSearch | undefined;
  private source: LocalSearch | undefined;
  private request: SearchRequest | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly onResults: (response: SearchResponse, request: SearchRequest) => void = () => undefined,
  ) {
    host.addController(this);
  }

  /** Uses `search` from now on (a new LiveSearch when it changed). */
  use(search: LocalSearch | undefined): void {
    if (search === this.source) return;
    this.live?.close();
    this.live = undefined;
    this.source = search;
    this.open();
  }

  /** Searches for `request`, or clears the results with undefined. */
  update(request: SearchRequest | undefined): void {
    this.request = request;
    if (!request) {
      this.response = undefined;
      this.answered = undefined;
      this.host.requestUpdate();
      return;
    }
    this.live?.update(request);
  }

  hostConnected(): void {
    this.open();
  }

  hostDisconnected(): void {
    this.live?.close();
    this.live = undefined;
  }

  private open(): void {
    if (this.live || !this.source) return;
    this.source.ready.catch((error: unknown) => {
      this.error = error instanceof Error ? error.message : String(error);
      this.host.requestUpdate();
    });
    this.live = this.source.live((response, request) => {
      if (request !== this.request) return;
      this.response = response;
      this.answered = request;
      this.error = undefined;
      this.host.requestUpdate();
      this.onResults(response, request);
    });
    if (this.request) this.live.update(this.request);
  }
}
