// The client library's error class: one code per way a client operation can fail before reaching the model.

/** Why a client operation was refused. Rule violations from the model are `RuleError`s (shared/errors.ts) instead. */
export type ClientErrorCode =
  | 'bad-room'
  | 'bad-relay-url'
  | 'bad-user'
  | 'bad-token'
  | 'bad-transport'
  | 'closed'
  | 'pending-message'
  | 'read-only';

/** Thrown synchronously by `openConversation` and by operations on a conversation for client-side problems. */
export class ClientError extends Error {
  override name = 'ClientError';
  readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
