// The blob ids a room's messages refer to: what the collector (blob-service.ts `collect`) must keep.
import { attachmentBlobIds, type Attachment } from '../../shared/attachments.js';
import type { MessageRecord } from '../../shared/schema.js';
import type { RoomManager } from '../room-manager.js';

/** Every blob id any record in the room's `messages` refers to (all records, not only the winners: conservative). */
export const roomReferences = (rooms: RoomManager) =>
  async function referencedBlobs(name: string): Promise<Set<string>> {
    const room = await rooms.acquire(name);
    try {
      const ids = new Set<string>();
      for (const record of room.doc.getArray<MessageRecord>('messages').toArray()) {
        const attachments = (record as { attachments?: Attachment[] }).attachments;
        if (Array.isArray(attachments)) for (const id of attachmentBlobIds(attachments)) ids.add(id);
      }
      return ids;
    } finally {
      rooms.release(room);
    }
  };
