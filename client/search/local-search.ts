// The page's handle on the local search index: feeds it from open conversations and asks it questions.
import type * as Y from 'yjs';
import { readMessageLog } from '../../shared/message-log.js';
import { diffRoom, observeMessages } from './doc-source.js';
import type { ResultOf, WorkerEvent, WorkerReply, WorkerRequest } from './search-protocol.js';
import type { IndexChanges, IndexStats, SearchRequest, SearchResponse } from './search-types.js';

export interface LocalSearchOptions {
  /** The user whose conversations are indexed (the index lives in their IndexedDB space). */
  userId: string;
  /** URL of the worker script; default `search-worker.js` beside this module (or beside the bundle). */
  workerUrl?: string | URL;
}

/** A search that follows what the user types: results stream in; stale ones are never delivered. */
export interface LiveSearch {
  /** Searches for `request` (call on every keystroke); the listener gets its results, and new ones when messages change. */
  update(request: SearchRequest): void;
  close(): void;
}

interface Port {
  post(request: WorkerRequest): void;
  terminate(): void;
}

type Call = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/**
 * One user's local search. Indexing and queries run in a worker; this side only observes documents and
 * passes small messages. Obtain it with `openLocalSearch` (one per user and page).
 */
export class LocalSearch {
  readonly userId: string;
  /** Resolves once the stored index is loaded (rejects if the worker could not start). */
  readonly ready: Promise<ResultOf['open']>;
  private readonly port: Port;
  private readonly calls = new Map<number, Call>();
  private nextId = 1;
  private readonly watched = new Map<string, { doc: Y.Doc; stop: () => void }>();
  private readonly listeners = new Set<() => void>();
  private failure: Error | undefined;
  private closed = false;

  constructor(options: LocalSearchOptions) {
    this.userId = options.userId;
    let port: Port;
    try {
      port = this.workerPort(options.workerUrl ?? new URL('./search-worker.js', import.meta.url));
    } catch (error) {
      // Workers refused (a Content-Security-Policy without worker-src, say): search is unavailable, nothing else breaks.
      this.failure = new Error(`the search worker could not start: ${error instanceof Error ? error.message : String(error)}`);
      port = { post: () => undefined, terminate: () => undefined };
    }
    this.port = port;
    this.ready = this.call({ type: 'open', userId: options.userId });
    // Callers see the rejection through `ready` and every call; it is not an unhandled one.
    this.ready.catch(() => undefined);
  }

  /**
   * Keeps `room`'s messages in the index while `doc` is open: first what changed since the index last saw
   * the conversation, then every new, edited or deleted message. Returns the function that stops watching.
   * Watching the same document again is a no-op (it returns the same function).
   */
  watch(room: string, doc: Y.Doc): () => void {
    const existing = this.watched.get(room);
    if (existing?.doc === doc) return existing.stop;
    existing?.stop();
    const stopObserving = observeMessages(doc, room, (changes) => this.send(changes));
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      stopObserving();
      doc.off('destroy', stop);
      if (this.watched.get(room)?.doc === doc) this.watched.delete(room);
    };
    // A closed conversation destroys its document: stop with it.
    doc.on('destroy', stop);
    this.watched.set(room, { doc, stop });
    void this.call({ type: 'follow', room }).then(
      (versions) => {
        // Applying a message twice is harmless, so changes observed meanwhile need no special care.
        if (!stopped && !this.closed) this.send(diffRoom(room, readMessageLog(doc), new Map(versions)));
      },
      () => undefined,
    );
    return stop;
  }

  /** Indexes every conversation cached on this device (in the worker, from IndexedDB). */
  indexCached(): Promise<ResultOf['index-cached']> {
    return this.call({ type: 'index-cached' });
  }

  /** Answers one search. */
  async search(request: SearchRequest): Promise<SearchResponse> {
    const response = await this.call({ type: 'query', request, lane: `once-${this.nextId}` });
    return response ?? emptyResponse();
  }

  /** A search that follows the user's typing; `onResults` gets each current answer. */
  live(onResults: (response: SearchResponse, request: SearchRequest) => void): LiveSearch {
    const lane = `live-${this.nextId++}`;
    let current: SearchRequest | undefined;
    let sequence = 0;
    let closed = false;
    const run = (): void => {
      const request = current;
      if (!request || closed) return;
      const mine = ++sequence;
      this.call({ type: 'query', request, lane }).then(
        (response) => {
          if (response !== null && mine === sequence && !closed) onResults(response, request);
        },
        () => undefined,
      );
    };
    const unsubscribe = this.onChange(run);
    return {
      update(request) {
        current = request;
        run();
      },
      close() {
        closed = true;
        unsubscribe();
      },
    };
  }

  /** Calls `listener` when the index changed (throttled); returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes everything to IndexedDB now (a fresh snapshot) and returns what the index holds. */
  flush(): Promise<IndexStats> {
    return this.call({ type: 'flush' });
  }

  stats(): Promise<IndexStats> {
    return this.call({ type: 'stats' });
  }

  /** Stops watching, saves pending changes and stops the worker. The index stays on the device. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const { stop } of [...this.watched.values()]) stop();
    await this.call({ type: 'close' }).catch(() => undefined);
    this.terminate(new Error('the search index is closed'));
  }

  /** Stops the worker at once, saving nothing (logout). */
  terminate(reason = new Error('the search index is closed')): void {
    for (const { stop } of [...this.watched.values()]) stop();
    this.closed = true;
    this.failure ??= reason;
    this.port.terminate();
    for (const call of this.calls.values()) call.reject(this.failure);
    this.calls.clear();
    if (registry.get(this.userId) === this) registry.delete(this.userId);
  }

  private send(changes: IndexChanges): void {
    if (changes.upserts.length === 0 && changes.removes.length === 0) return;
    this.call({ type: 'apply', changes }).catch(() => undefined);
  }

  private call<R extends DistributiveOmit<WorkerRequest, 'id'>>(request: R): Promise<ResultOf[R['type']]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.port.post({ ...request, id } as WorkerRequest);
    });
  }

  private receive(message: WorkerReply | WorkerEvent): void {
    if ('event' in message) {
      if (message.event === 'changed') for (const listener of [...this.listeners]) listener();
      else this.terminate(new Error(`the search index was closed: ${message.reason}`));
      return;
    }
    const call = this.calls.get(message.id);
    if (!call) return;
    this.calls.delete(message.id);
    if (message.ok) call.resolve(message.result);
    else call.reject(new Error(message.error));
  }

  private workerPort(url: string | URL): Port {
    const worker = new Worker(url, { type: 'module', name: 'parley-search' });
    worker.onmessage = (event: MessageEvent<WorkerReply | WorkerEvent>) => this.receive(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.terminate(new Error(`the search worker failed: ${event.message || 'it could not be loaded'}`));
    };
    return { post: (request) => worker.postMessage(request), terminate: () => worker.terminate() };
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const emptyResponse = (): SearchResponse => ({ hits: [], total: 0, terms: [], ignored: [], truncated: false });

const registry = new Map<string, LocalSearch>();

/** The page's local search of `options.userId`, started on first use. */
export function openLocalSearch(options: LocalSearchOptions): LocalSearch {
  let search = registry.get(options.userId);
  if (!search) {
    search = new LocalSearch(options);
    registry.set(options.userId, search);
  }
  return search;
}

/** Stops `userId`'s local search in this page without saving (before logout deletes its database). */
export function terminateLocalSearch(userId: string): void {
  registry.get(userId)?.terminate(new Error('logged out'));
}
