// The on-disk record formats: length-prefixed, CRC-checked log records and snapshot files.
import { crc32 } from 'node:zlib';

/*
 * Log file:      "PRLYLOG1" then records, each [u32 LE payload length][u32 LE CRC-32 of payload][payload].
 * Snapshot file: "PRLYSNP1" [u32 LE payload length][u32 LE CRC-32 of payload][payload].
 * Payloads are Yjs v1 updates. A record is never empty, which tells a real record from zeros: a log open for
 * appending is followed by zero padding (disk-store.ts preallocates it so that an append does not change the file's
 * size), and a crash can leave that padding behind. Zeros after the last record are the log's end, not damage.
 */
export const LOG_MAGIC = Buffer.from('PRLYLOG1', 'latin1');
export const SNAPSHOT_MAGIC = Buffer.from('PRLYSNP1', 'latin1');
export const RECORD_HEADER_BYTES = 8;
/** No record is larger; a larger length field can only be garbage. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/** Stored data that cannot be read back safely; the room must not be served. */
export class CorruptDataError extends Error {
  override name = 'CorruptDataError';
}

/** Frames one payload as a log record. */
export const encodeRecord = (payload: Uint8Array): Buffer => {
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.byteLength);
  out.writeUInt32LE(payload.byteLength, 0);
  out.writeUInt32LE(crc32(payload), 4);
  out.set(payload, RECORD_HEADER_BYTES);
  return out;
};

/** The payload of a valid record at `offset`, or undefined when none starts there. */
const recordAt = (buf: Buffer, offset: number): Uint8Array | undefined => {
  if (offset + RECORD_HEADER_BYTES > buf.length) return undefined;
  const length = buf.readUInt32LE(offset);
  if (length === 0 || length > MAX_RECORD_BYTES) return undefined;
  const end = offset + RECORD_HEADER_BYTES + length;
  if (end > buf.length) return undefined;
  const payload = buf.subarray(offset + RECORD_HEADER_BYTES, end);
  return crc32(payload) === buf.readUInt32LE(offset + 4) ? payload : undefined;
};

/** Result of reading a log: its records and how many bytes of the file are valid. */
export interface ParsedLog {
  records: Uint8Array[];
  /** Bytes of valid data including the magic; the file should be truncated to this length before appending. */
  validBytes: number;
  /** Whether an incomplete or damaged last record (a crash mid-write) was dropped. */
  tornTail: boolean;
  /** Whether zero padding follows the last record (preallocated space, not damage). */
  padded: boolean;
}

const ZEROS = Buffer.alloc(64 * 1024);

/** The index after the last non-zero byte of `buf` at or after `from` (`from` when all of it is zeros); memcmp-fast. */
const endOfNonZero = (buf: Buffer, from: number): number => {
  let end = buf.length;
  while (end > from) {
    const start = Math.max(from, end - ZEROS.length);
    if (!buf.subarray(start, end).equals(ZEROS.subarray(0, end - start))) break;
    end = start;
  }
  while (end > from && buf[end - 1] === 0) end--;
  return end;
};

/**
 * Reads a whole log file. A damaged record is accepted as a torn tail only when no valid record follows it
 * (a crash can only tear what was written after the last fsync); a valid record after damage means the
 * middle of the log is corrupt, which throws rather than silently losing durable updates.
 */
export const parseLog = (buf: Buffer): ParsedLog => {
  if (buf.length < LOG_MAGIC.length) {
    // A crash while creating the file: only a prefix of the magic (or nothing) was written.
    if (LOG_MAGIC.subarray(0, buf.length).equals(buf)) return { records: [], validBytes: 0, tornTail: buf.length > 0, padded: false };
    throw new CorruptDataError('log file has an unknown header');
  }
  if (!buf.subarray(0, LOG_MAGIC.length).equals(LOG_MAGIC)) throw new CorruptDataError('log file has an unknown header');
  const records: Uint8Array[] = [];
  let offset = LOG_MAGIC.length;
  while (offset < buf.length) {
    const payload = recordAt(buf, offset);
    if (payload === undefined) {
      // Only the bytes up to the last non-zero one can hold a record: padding is never probed byte by byte.
      const dataEnd = endOfNonZero(buf, offset);
      if (dataEnd === offset) return { records, validBytes: offset, tornTail: false, padded: true };
      for (let probe = offset + 1; probe + RECORD_HEADER_BYTES < dataEnd; probe++) {
        if (recordAt(buf, probe) !== undefined) {
          throw new CorruptDataError(`log record at byte ${offset} is damaged and valid records follow it`);
        }
      }
      return { records, validBytes: offset, tornTail: true, padded: false };
    }
    records.push(payload);
    offset += RECORD_HEADER_BYTES + payload.byteLength;
  }
  return { records, validBytes: offset, tornTail: false, padded: false };
};

/** Frames a full-state update as a snapshot file. */
export const encodeSnapshot = (payload: Uint8Array): Buffer =>
  Buffer.concat([SNAPSHOT_MAGIC, encodeRecord(payload)]);

/** Reads a snapshot file; any damage throws (snapshots are written atomically, so damage is never a crash artefact). */
export const parseSnapshot = (buf: Buffer): Uint8Array => {
  if (buf.length < SNAPSHOT_MAGIC.length || !buf.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) {
    throw new CorruptDataError('snapshot file has an unknown header');
  }
  const payload = recordAt(buf, SNAPSHOT_MAGIC.length);
  if (payload === undefined || SNAPSHOT_MAGIC.length + RECORD_HEADER_BYTES + payload.byteLength !== buf.length) {
    throw new CorruptDataError('snapshot file is damaged');
  }
  return payload;
};
