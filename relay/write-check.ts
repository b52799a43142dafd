// The write-check seam: a hook that may refuse any incoming update before it touches a room.
import type * as Y from 'yjs';
import { CloseCode, CloseEvents, type CloseEvent } from '../shared/close-codes.js';
import { type Role } from '../shared/protocol.js';
import type { DecodedUpdate } from './update-structure.js';

/** Who is writing, as proven by their token. */
export interface WriteUser {
  /** The token's `sub`. */
  id: string;
  /** The token's `name` (falls back to `sub`). */
  name: string;
}

/** What the hook sees. `doc` is the room's live document *before* the update; do not mutate it. */
export interface CheckUpdateInput {
  room: string;
  doc: Y.Doc;
  /** The update exactly as the client sent it (Yjs update format v1). */
  update: Uint8Array;
  /** The same update decoded once by the relay (`Y.decodeUpdate`): read it rather than decoding again. */
  decoded: DecodedUpdate;
  user: WriteUser;
  /** What the token grants on the room; undefined when the user was let in by the room's roster alone. */
  role: Role | undefined;
}

/**
 * What a check may return when it accepts an update. `newClients`: Yjs client ids to bind to the writer (see
 * client-identity.ts) before the update is applied; checks for documents that are not conversations return nothing.
 */
export interface CheckVerdict {
  newClients?: ReadonlySet<number>;
}

/**
 * Called by the relay for every incoming non-empty sync step 2 and update message, after the frame is decoded
 * and before the update is applied to the room, appended to the log or forwarded to anyone (the accept path,
 * accept-update.ts). Throw (ideally a `WriteRefusedError`) to refuse: the sender is closed with 4403 and a
 * reason naming the rule, the refusal is counted in `parley_write_refusals_total{rule}`, and the room stays
 * untouched. A check must not write the document (binding client ids is a later step of the accept path).
 * Must be synchronous so that updates keep their order.
 */
export type CheckUpdate = (input: CheckUpdateInput) => void | CheckVerdict;

/**
 * A refused write. `rule` is a short stable identifier, e.g. `read-only`, shown in the close reason and
 * metrics; `closeCode` is 4403 unless the refusal is not the client's fault (1013: resync and retry).
 */
export class WriteRefusedError extends Error {
  override name = 'WriteRefusedError';
  constructor(
    readonly rule: string,
    message = `write refused by rule ${rule}`,
    readonly closeCode: number = CloseCode.forbidden,
  ) {
    super(message);
  }
}

/**
 * A check that refuses only writes from the `read` role: for rooms that are not Parley conversations
 * (arbitrary Yjs documents). The relay's default is the conversation guard (update-guard.ts).
 */
export const readOnlyCheck: CheckUpdate = ({ role }) => {
  if (role !== 'write' && role !== 'admin') throw new WriteRefusedError('read-only', 'this token may only read the room');
};

/** The close code for an error thrown from a hook: 1013 when it asks the client to resync, 4429 for a rate limit, else 4403. */
export const closeCodeOf = (error: unknown): number => {
  const code = (error as { closeCode?: unknown } | null)?.closeCode;
  return code === CloseCode.tryAgainLater || code === CloseCode.rateLimited ? code : CloseCode.forbidden;
};

/**
 * How to close a connection whose write a hook refused: `writeRefused` (4403) with the rule as detail
 * (`write refused: read-only`), `tryAgainLater` (1013, `write refused: missing-dependency`) when the
 * client should resync and retry, or `rateLimited` (4429, `rate limit exceeded: too-many-client-ids`).
 */
export const refusalCloseOf = (error: unknown): { event: CloseEvent; detail?: string } => {
  const code = closeCodeOf(error);
  if (code === CloseCode.tryAgainLater) return { event: CloseEvents.tryAgainLater };
  return { event: code === CloseCode.rateLimited ? CloseEvents.rateLimited : CloseEvents.writeRefused, detail: ruleOf(error) };
};


/** The rule name carried by an error thrown from a hook (`unknown` when it carries none). */
export const ruleOf = (error: unknown): string => {
  const rule = (error as { rule?: unknown } | null)?.rule;
  return typeof rule === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(rule) ? rule : 'unknown';
};
