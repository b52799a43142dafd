// Entry point of the search worker (dist/search-worker.js): indexing and queries run here, off the page's thread.
import type { WorkerReply, WorkerRequest } from './search-protocol.js';
import { SearchService } from './search-service.js';

// The DOM typings do not describe a worker's global scope; this is the part used here.
const scope = self as unknown as { postMessage(message: unknown): void; onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null };
const service = new SearchService((event) => scope.postMessage(event));

scope.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  service.handle(request).then(
    (result) => scope.postMessage({ id: request.id, ok: true, result } satisfies WorkerReply),
    (error: unknown) => scope.postMessage({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies WorkerReply),
  );
};
