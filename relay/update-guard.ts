// The conversation guard: the default write check, judging every incoming update with the shared rules before it is applied.
import type * as Y from 'yjs';
import { RuleError } from '../shared/errors.js';
import { CloseEvents } from '../shared/close-codes.js';
import { createMessageIndex, type MessageIndex } from './message-index.js';
import { clientIdentityOf, type ClientIdentity } from './client-identity.js';
import { createReceiptMarks, type ReceiptMarks } from './receipt-marks.js';
import { MissingDependencyError, decodeStructure } from './update-structure.js';
import { judgeUpdate } from './update-judge.js';
import { isAccountRoom } from '../shared/account.js';
import { checkClientOwner } from '../shared/rules.js';
import { judgeMembership } from './membership/membership-judge.js';
import { judgeAccountUpdate } from './membership/account-judge.js';
import { WriteRefusedError, type CheckUpdate, type CheckUpdateInput, type CheckVerdict } from './write-check.js';

/** What the guard keeps per room document: built once (O(n)), then kept current by observing the document. */
interface RoomGuard {
  index: MessageIndex;
  identity: ClientIdentity;
  receipts: ReceiptMarks;
}

/**
 * The relay's write check for conversation rooms (see write-check.ts): each update is decoded into its
 * structure (update-structure.ts) and judged with the shared rules (update-judge.ts) against the room's
 * current document, without copying it. Client ids seen for the first time are returned in the verdict;
 * the accept path binds them (client-identity.ts) before applying the update. The check never writes.
 */
/** What the guard consults beyond the document. */
export interface GuardOptions {
  /** The blob store: attachments must describe blobs stored for the room being written. Without it, blob ids are not checked. */
  blobs?: { describe(room: string, id: string, doc: Y.Doc): { size: number; type: string } | undefined };
}

export function createConversationGuard(options: GuardOptions = {}): CheckUpdate {
  const states = new WeakMap<Y.Doc, RoomGuard>();
  const guardFor = (doc: Y.Doc): RoomGuard => {
    let guard = states.get(doc);
    if (!guard) {
      const index = createMessageIndex(doc);
      guard = { index, identity: clientIdentityOf(doc), receipts: createReceiptMarks(doc, index) };
      states.set(doc, guard);
    }
    return guard;
  };
  const { blobs } = options;
  return function checkConversationUpdate({ room, doc, decoded, user, role }: CheckUpdateInput): CheckVerdict {
    const { index, identity, receipts } = guardFor(doc);
    try {
      const structure = decodeStructure(doc, decoded);
      // Per document type: a user's account document, or a conversation (membership first, then messages).
      if (isAccountRoom(room)) return judgeAccountUpdate(structure, user.id, identity.ownerOf);
      const { rest, writer } = judgeMembership(structure, doc, user.id, role);
      if (rest.inserts.length === 0 && rest.deletions.length === 0) {
        // Only roster changes (a reader leaving, say): the message rules have nothing to judge but identities.
        const newClients = new Set<number>();
        for (const client of structure.writers) {
          const owner = identity.ownerOf(client);
          checkClientOwner(client, owner, writer);
          if (owner === undefined) newClients.add(client);
        }
        return { newClients };
      }
      return judgeUpdate(rest, writer, {
        doc, index, receipts, ownerOf: identity.ownerOf, ...(blobs ? { blobs: { describe: (id: string) => blobs.describe(room, id, doc) } } : {}),
      });
    } catch (error) {
      if (error instanceof RuleError) throw new WriteRefusedError(error.code, error.message);
      if (error instanceof MissingDependencyError) {
        throw new WriteRefusedError('missing-dependency', error.message, CloseEvents.tryAgainLater.code);
      }
      throw error;
    }
  };
}
