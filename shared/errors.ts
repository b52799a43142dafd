// Errors thrown by the conversation model's rules: one code per violated rule, each with a clear message.

/** Every rule the conversation model enforces, by code. The relay closes with 4403 naming the code. */
export const RULE_MESSAGES = {
  'read-only': 'a read-only member cannot write to this room',
  'text-empty': 'message text must not be empty',
  'text-too-long': 'message text is longer than the limit',
  'text-not-string': 'message text must be a string',
  'bad-message-id': 'message id is not well-formed',
  'bad-user-id': 'user id is not well-formed',
  'bad-timestamp': 'timestamp is not a valid time',
  'duplicate-message': 'a message with this id already exists',
  'unknown-message': 'no message with this id exists',
  'bad-reply': 'a reply must point at an existing message',
  'not-author': 'only the author may change this message',
  'not-author-or-admin': 'only the author or a room admin may delete this message',
  'author-mismatch': 'a message must be written by its author',
  'immutable-field': 'the id, author, creation time, reply target and thread of a message never change',
  'message-deleted': 'this message was deleted',
  'bad-attachments': 'attachments are not well-formed',
  'unknown-blob': 'an attachment refers to a file not stored for this conversation',
  'attachment-mismatch': 'an attachment does not describe the stored file (size, sniffed type or preview)',
  'bad-emoji': 'a reaction must be one emoji',
  'not-own-entry': 'members may only write their own receipts, reactions and profile',
  'receipt-backwards': 'receipts never move backwards',
  'receipt-own-message': 'receipts are never written for one\u2019s own messages',
  'bad-receipt': 'a receipt entry is not well-formed',
  'bad-profile': 'a profile is not well-formed',
  'not-admin': 'only a room admin may change room settings',
  'bad-meta': 'room settings are not well-formed',
  'unknown-type': 'the document has no such top-level type',
  'unknown-field': 'a record has a field the schema does not know',
  'bad-record': 'a record is not well-formed',
  'forbidden-delete': 'this item may not be deleted',
  'foreign-client': 'this Yjs client id belongs to another user',
  'banned': 'you are banned from this conversation',
  'not-member': 'you are not a member of this conversation',
  'self-promotion': 'nobody may raise their own role',
  'not-roster-admin': 'only an owner, or an admin for members and readers, may change this member',
  'last-owner': 'the last owner cannot leave or step down without handing over',
  'bad-roster': 'a roster entry is not well-formed',
  'direct-fixed': 'the members of a direct conversation never change',
  'direct-pair': 'a direct conversation is between exactly two different users',
  'channel-admins-only': 'only admins post in a channel',
  'kind-fixed': 'a conversation\u2019s kind is set once, and a conversation with a roster is made direct only by the relay',
  'relay-only': 'only the relay writes this',
  'bad-preferences': 'conversation preferences are not well-formed',
  'too-many-copies': 'a message may have only a few live records (an identical re-send or concurrent versions)',
  'too-many-receipts': 'a user may have only a few live receipt entries',
  'too-many-client-ids': 'too many new Yjs client ids for this connection or user',
  'thread-root-unknown': 'a thread reply must hang under a message of this conversation',
  'thread-nested': 'threads are one level deep: a thread reply cannot start a thread',
  'bad-thread-reads': 'thread read marks are not well-formed',
  'pin-not-allowed': 'only admins (and both people of a direct conversation) pin and unpin messages',
  'bad-pin': 'a pin is not well-formed',
  'too-many-pins': 'a conversation holds a limited number of pins',
  'bad-subscription': 'not a valid push subscription',
  'bad-mentions': 'mentions must be a non-empty list of distinct user ids',
  'too-many-mentions': 'a message mentions a limited number of people',
  'mention-not-member': 'only members of the conversation can be mentioned',
} as const;

export type RuleCode = keyof typeof RULE_MESSAGES;

/** Thrown when an operation or an incoming update breaks a conversation rule; nothing was written. */
export class RuleError extends Error {
  override name = 'RuleError';
  readonly code: RuleCode;

  constructor(code: RuleCode, detail?: string) {
    super(detail ? `${RULE_MESSAGES[code]}: ${detail}` : RULE_MESSAGES[code]);
    this.code = code;
  }
}

/** Throws a RuleError with `code` unless `condition` holds. */
export function ensure(condition: unknown, code: RuleCode, detail?: string): asserts condition {
  if (!condition) throw new RuleError(code, detail);
}
