// The attachment flags and options of parley-relay: parsed from flags and environment, bad values refused at start.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../relay/cli-args.js';
import { ConfigError, resolveOptions } from '../../relay/options.js';
import { DEFAULT_BLOB_LIMITS } from '../../relay/blobs/blob-limits.js';

describe('attachment options', () => {
  it('reads limits from flags (winning) and the environment, and the URL key from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-blob-cli-'));
    try {
      const keyFile = join(dir, 'blob.key');
      writeFileSync(keyFile, `${'k'.repeat(40)}\n`);
      const command = parseCli(['--max-file-bytes', '1000', '--blob-secret-file', keyFile], {
        PARLEY_MAX_FILE_BYTES: '5', PARLEY_USER_QUOTA_BYTES: '2000', PARLEY_ROOM_QUOTA_BYTES: '3000', PARLEY_BLOB_URL_TTL_SECONDS: '60',
      });
      if (command.help) throw new Error('unexpected help');
      expect(command.options.blobs).toEqual({ maxFileBytes: 1000, userQuotaBytes: 2000, roomQuotaBytes: 3000, urlTtlSeconds: 60 });
      expect(new TextDecoder().decode(command.options.blobUrlSecret)).toBe('k'.repeat(40));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('defaults, and clear errors for bad values', () => {
    expect(resolveOptions({ devMode: true }).blobs).toEqual(DEFAULT_BLOB_LIMITS);
    expect(() => parseCli(['--max-file-bytes', 'lots'], {})).toThrow(/--max-file-bytes must be a whole number/);
    expect(() => resolveOptions({ devMode: true, blobs: { roomQuotaBytes: 0 } })).toThrow(ConfigError);
    expect(() => resolveOptions({ devMode: true, blobs: { roomQuotaBytes: 0 } })).toThrow(/blobs\.roomQuotaBytes must be an integer ≥ 1/);
    expect(() => resolveOptions({ devMode: true, blobUrlSecret: new Uint8Array(8) })).toThrow(/at least 32 bytes/);
  });
});
