// Test helpers for the conversation model: writers, and an assertion that a rule refuses without touching the document.
import { expect } from 'vitest';
import * as Y from 'yjs';
import { RuleError, type RuleCode, type Writer } from '../../shared/conversation.js';

export const alice: Writer = { userId: 'alice', role: 'write' };
export const bob: Writer = { userId: 'bob', role: 'write' };
export const carol: Writer = { userId: 'carol', role: 'write' };
export const admin: Writer = { userId: 'root', role: 'admin' };
export const reader: Writer = { userId: 'rita', role: 'read' };

/** Asserts `action` throws a RuleError with `code` and a message, and leaves `doc` byte-for-byte unchanged. */
export function expectRefused(doc: Y.Doc, code: RuleCode, action: () => unknown): RuleError {
  const before = Y.encodeStateAsUpdate(doc);
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected RuleError ${code}`).toBeInstanceOf(RuleError);
  const error = caught as RuleError;
  expect(error.code).toBe(code);
  expect(error.message.length).toBeGreaterThan(10);
  expect(Buffer.from(Y.encodeStateAsUpdate(doc)).equals(Buffer.from(before))).toBe(true);
  return error;
}

/** Two replicas kept in sync both ways, like two clients behind a relay. */
export function linkedDocs(): [Y.Doc, Y.Doc] {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.on('update', (update: Uint8Array, origin: unknown) => origin !== b && Y.applyUpdate(b, update, a));
  b.on('update', (update: Uint8Array, origin: unknown) => origin !== a && Y.applyUpdate(a, update, b));
  return [a, b];
}
