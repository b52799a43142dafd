// Disk mode over the storage seams: a room loaded with a non-empty log is compacted on unload, and its log truncated.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createDiskStore } from '../../relay/disk-store.js';
import { LOG_MAGIC } from '../../relay/record-log.js';
import { roomDir } from '../../relay/room-paths.js';
import { newMessageId, type MessageRecord } from '../../shared/conversation.js';
import { exportDoc, startTestRelay, tempDir, textsOf } from './helpers.js';

describe('disk compaction over the seams', () => {
  it('compacts a room whose log was left non-empty (a crash) and truncates the log, across restarts', async () => {
    const data = tempDir();
    try {
      // A log as a crashed relay leaves it: three records, no snapshot.
      const doc = new Y.Doc();
      const updates: Uint8Array[] = [];
      doc.on('update', (u: Uint8Array) => updates.push(u));
      for (const text of ['a', 'b', 'c']) {
        doc.getArray<MessageRecord>('messages').push([{ id: newMessageId(), author: 'ada', text, createdAt: Date.now() }]);
      }
      const store = createDiskStore(data.dir);
      for (const u of updates) await store.append('crashed', u);
      await store.close();
      const logFile = join(roomDir(join(data.dir, 'rooms'), 'crashed'), 'log');
      expect(statSync(logFile).size).toBeGreaterThan(LOG_MAGIC.length);

      for (let run = 0; run < 2; run++) {
        const relay = await startTestRelay({ dataDir: data.dir });
        expect(textsOf(await exportDoc(relay, 'crashed'))).toEqual(['a', 'b', 'c']);
        await relay.close(); // unloads: compaction, then the log holds only its header
        expect(statSync(logFile).size).toBe(LOG_MAGIC.length);
        expect(statSync(join(roomDir(join(data.dir, 'rooms'), 'crashed'), 'snapshot')).size).toBeGreaterThan(0);
      }
    } finally {
      data.cleanup();
    }
  });
});
