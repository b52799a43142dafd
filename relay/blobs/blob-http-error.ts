// The one error type blob routes throw: an HTTP status plus a stable code, turned into a JSON body in one place.

export type BlobErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 416 | 422 | 429 | 503;

/** A refused blob request: `{ "error": { "code", "message" } }` with `status`. */
export class BlobHttpError extends Error {
  override name = 'BlobHttpError';
  constructor(
    readonly status: BlobErrorStatus,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
