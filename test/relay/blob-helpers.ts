// Helpers for blob tests: sample files, a token-bound uploader, raw HTTP requests that can be cut mid-body.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import type { RunningRelay } from '../../relay/index.js';
import { uploadBlob, type UploadedBlob } from '../../client/attachments/blob-upload.js';
import type { Role } from '../../shared/protocol.js';
import { mintToken } from './helpers.js';

/** A valid 1×1 PNG. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
/** The start of a PDF (enough for type sniffing). */
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** `size` pseudo-random bytes (incompressible, distinct per seed). */
export const randomBytesOf = (size: number, seed = 1): Buffer => {
  const out = Buffer.alloc(size);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out.writeUInt32LE(x, i - (i + 4 > size ? i + 4 - size : 0));
  }
  return out;
};

export const tokenFor = (sub: string, rooms: Record<string, Role>) => mintToken({ sub, rooms });

/** Uploads through the client library with a fixed token. */
export const upload = async (relay: RunningRelay, room: string, token: string, bytes: Uint8Array, extra: { sha256?: string; chunkBytes?: number } = {}): Promise<UploadedBlob> =>
  uploadBlob({ relayUrl: relay.url, room, getToken: async () => token, file: new Blob([new Uint8Array(bytes)]), attempts: 0, ...extra });

/** A JSON request to the relay; returns status, headers and the parsed body (or text). */
export const call = async (relay: RunningRelay, method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(`${relay.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined && !(body instanceof Uint8Array) ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: body instanceof Uint8Array ? new Uint8Array(body) : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
};

/**
 * Starts a PATCH declaring `declared` body bytes and sends only `sent`: the caller polls until the relay has
 * them, then `drop()`s the connection, as a phone losing its network mid-upload would.
 */
export const startPatch = async (relay: RunningRelay, path: string, token: string, offset: number, sent: Uint8Array, declared: number) => {
  const req = request({
    host: '127.0.0.1',
    port: relay.port,
    method: 'PATCH',
    path,
    headers: { authorization: `Bearer ${token}`, 'upload-offset': String(offset), 'content-length': String(declared), 'content-type': 'application/offset+octet-stream' },
  });
  const closed = new Promise<void>((resolve) => {
    req.on('error', () => resolve());
    req.on('close', () => resolve());
  });
  await new Promise<void>((resolve) => req.write(sent, () => resolve()));
  return {
    drop: async () => {
      req.destroy();
      await closed;
    },
  };
};
