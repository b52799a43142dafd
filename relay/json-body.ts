// Reads an HTTP request's JSON object body for the relay's JSON routes (membership, push), refusing anything else with a named error.
import type { Context } from 'hono';

/** How a route reports a refused body: throws its own HTTP error with this status, code and message. */
export type BodyFail = (status: 400 | 415, code: string, message: string) => never;

/**
 * The request's body as a JSON object: 415 `unsupported-media-type` without a JSON content type, 400 `bad-json`
 * when it does not parse, 400 `bad-request` when it is not an object or (given `allowed`) has another field.
 * The size bound is the route's body-limit middleware's.
 */
export async function readJsonObject(c: Context, fail: BodyFail, allowed?: readonly string[]): Promise<Record<string, unknown>> {
  if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
    fail(415, 'unsupported-media-type', 'send a JSON body with Content-Type: application/json');
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    fail(400, 'bad-json', 'body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) fail(400, 'bad-request', 'body must be a JSON object');
  const unknown = allowed && Object.keys(body as object).find((key) => !allowed.includes(key));
  if (unknown !== undefined) fail(400, 'bad-request', `unknown field: ${unknown.slice(0, 80)}`);
  return body as Record<string, unknown>;
}
