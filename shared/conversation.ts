// The conversation model's public entry: operations, queries, rules and the document layout.
export * from './operations.js';
export * from './queries.js';
export * from './threads.js';
export * from './pins.js';
export * from './rules.js';
export * from './schema.js';
export * from './errors.js';
export * from './ids.js';
export { patchMessageLogs, readMessageLog, readMessageLogInSteps, locateRecords, type MessageLog, type ResolvedMessage, type LocatedRecord } from './message-log.js';
export * from './mentions.js';
export * from './mention-queries.js';
