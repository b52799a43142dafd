// The collector's policy on a real disk store: referenced blobs stay, a blob whose message went is collected at once, a new claim protects it again.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { createBlobService } from '../../relay/blobs/blob-service.js';
import { createDiskBlobStore } from '../../relay/blobs/disk-blob-store.js';
import { DEFAULT_BLOB_LIMITS } from '../../relay/blobs/blob-limits.js';
import { randomBytesOf, sha256 } from './blob-helpers.js';
import { tempDir } from './helpers.js';

describe('blob collection policy', () => {
  it('keeps referenced blobs, collects one whose message went, and a re-claim restarts its grace period', async () => {
    const dir = tempDir();
    const refs = new Set<string>();
    const store = createDiskBlobStore(`${dir.dir}/blobs`);
    const blobs = createBlobService({
      store,
      limits: DEFAULT_BLOB_LIMITS, // a day of grace: nothing young is collected for its age
      stagingDir: `${dir.dir}/blobs/uploads`,
      urlSecret: new Uint8Array(32),
      references: async () => new Set(refs),
      log: pino({ level: 'silent' }),
    });
    try {
      await blobs.init();
      const put = async (bytes: Buffer) => {
        const created = await blobs.createUpload('room', 'ada', bytes.length, sha256(bytes));
        if (!('upload' in created)) throw new Error('expected a new upload');
        await blobs.append(created.upload, 0, Readable.from([bytes]));
        return blobs.finish(created.upload);
      };
      const a = await put(randomBytesOf(3000, 1));
      const b = await put(randomBytesOf(3000, 2));
      refs.add(a.id).add(b.id);
      expect(await blobs.collect()).toEqual({ deleted: 0, kept: 2 });
      expect(blobs.usage('room', 'ada')).toEqual({ room: 6000, user: 6000 });

      // Both messages are deleted; b is sent again (claimed) before the collector runs.
      refs.clear();
      const again = await blobs.createUpload('room', 'bob', 3000, b.id);
      expect('blob' in again && again.blob.id).toBe(b.id);
      expect(await blobs.collect()).toEqual({ deleted: 1, kept: 1 });
      expect(!!store.peek('room', a.id)).toBe(false);
      expect(!!store.peek('room', b.id)).toBe(true);
      // The collected bytes are given back to the uploader's quota; the claim charged nobody.
      expect(blobs.usage('room', 'ada')).toEqual({ room: 3000, user: 3000 });
      expect(blobs.usage('room', 'bob').user).toBe(0);
    } finally {
      await blobs.stop();
      dir.cleanup();
    }
  });
});
