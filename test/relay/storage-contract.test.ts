// One contract for every storage backend: the room log, snapshot store, bus and lease, run against disk and against Redis+PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createDiskBackend } from '../../relay/storage/disk-backend.js';
import { createClusterBackend } from '../../relay/storage/cluster-backend.js';
import { LOG_START, LogGapError, comparePositions, loadRoomState, type BusMessage, type LogEntry, type RoomLog, type StorageBackend } from '../../relay/storage/seams.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres-server.js';
import { tempDir, waitFor } from './helpers.js';

/** How a suite gets backends: `open` a fresh one on the same storage (a restart, or another instance). */
interface BackendFactory {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  open(): Promise<StorageBackend>;
  /** Whether two opened backends are separate instances that talk over the bus (cluster) or not (disk). */
  shared: boolean;
}

const diskFactory = (): BackendFactory => {
  const data = tempDir();
  return {
    name: 'disk',
    shared: false,
    async setup() {},
    async teardown() {
      data.cleanup();
    },
    async open() {
      return createDiskBackend(data.dir);
    },
  };
};

const clusterFactory = (): BackendFactory => {
  let redis: TestRedis | undefined;
  let postgres: TestPostgres | undefined;
  return {
    name: 'redis+postgres',
    shared: true,
    async setup() {
      [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres()]);
    },
    async teardown() {
      await Promise.all([redis?.destroy(), postgres?.destroy()]);
    },
    open() {
      return createClusterBackend({ redisUrl: redis!.url, postgresUrl: postgres!.url, minLifetimeMs: 0 });
    },
  };
};

/** Yjs updates that each push one number to the array `n`. */
const updates = (count: number, from = 0): Uint8Array[] => {
  const doc = new Y.Doc();
  const out: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => out.push(u));
  for (let i = from; i < from + count; i++) doc.getArray<number>('n').push([i]);
  return out;
};

const rebuild = (state: Uint8Array | undefined, entries: LogEntry[]): number[] => {
  const doc = new Y.Doc();
  if (state) Y.applyUpdate(doc, state);
  for (const entry of entries) Y.applyUpdate(doc, entry.data);
  return doc.getArray<number>('n').toArray();
};

const bytes = (list: { data: Uint8Array }[]) => list.map((e) => Buffer.from(e.data).toString('hex'));

let roomCounter = 0;
const freshRoom = () => `contract-${Date.now().toString(36)}-${roomCounter++}`;

for (const factory of [diskFactory(), clusterFactory()]) {
  describe(`storage contract: ${factory.name}`, () => {
    const opened: StorageBackend[] = [];
    const open = async () => {
      const backend = await factory.open();
      opened.push(backend);
      return backend;
    };
    let backend: StorageBackend;
    beforeAll(async () => {
      await factory.setup();
      backend = await open();
    }, 120_000);
    afterAll(async () => {
      for (const b of opened) await b.close().catch(() => {});
      await factory.teardown();
    }, 60_000);

    it('appends return increasing positions, and read returns the entries after a position in order', async () => {
      const room = freshRoom();
      const list = updates(5);
      const positions = await Promise.all(list.map((u) => backend.log.append(room, u)));
      for (let i = 1; i < positions.length; i++) expect(comparePositions(positions[i]!, positions[i - 1]!)).toBeGreaterThan(0);
      const all = await backend.log.read(room, LOG_START);
      expect(all.map((e) => e.position)).toEqual(positions);
      expect(bytes(all)).toEqual(bytes(list.map((data) => ({ data }))));
      const tail = await backend.log.read(room, positions[2]!);
      expect(tail.map((e) => e.position)).toEqual(positions.slice(3));
      expect(await backend.log.read(room, positions[4]!)).toEqual([]);
      expect(await backend.log.read(freshRoom(), LOG_START)).toEqual([]);
    });

    it('what was appended and stored survives closing and reopening', async () => {
      const room = freshRoom();
      const all = updates(5);
      const first = all.slice(0, 3);
      const doc = new Y.Doc();
      for (const u of first) Y.applyUpdate(doc, u);
      const positions = [];
      for (const u of first) positions.push(await backend.log.append(room, u));
      await backend.snapshots.store(room, Y.encodeStateAsUpdate(doc), positions[2]!);
      const more = all.slice(3);
      for (const u of more) await backend.log.append(room, u);
      const again = await open();
      const state = await loadRoomState(again.log, again.snapshots, room);
      expect(rebuild(state.snapshot?.state, state.entries)).toEqual([0, 1, 2, 3, 4]);
    });

    it('follow delivers what is after its position, then new appends by anyone, in order and once', async () => {
      const room = freshRoom();
      const list = updates(6);
      const p1 = await backend.log.append(room, list[0]!);
      await backend.log.append(room, list[1]!);
      const seen: LogEntry[] = [];
      const follow = backend.log.follow(room, p1, (entries) => seen.push(...entries));
      const writer = factory.shared ? await open() : backend;
      for (const u of list.slice(2)) await writer.log.append(room, u);
      await waitFor(() => seen.length >= 5, 10_000, 'followed entries');
      expect(bytes(seen)).toEqual(bytes(list.slice(1).map((data) => ({ data }))));
      follow.stop();
      await backend.log.append(room, updates(1, 9)[0]!);
      // Give a stopped follow a chance to misbehave: read the log (a round trip) before checking.
      await backend.log.read(room, LOG_START);
      expect(seen.length).toBe(5);
    });

    it('a snapshot plus the log after its position rebuilds the room, also after a trim', async () => {
      const room = freshRoom();
      expect(await backend.snapshots.load(room)).toBeUndefined();
      const doc = new Y.Doc();
      const list = updates(8);
      let covered = LOG_START;
      for (const [i, u] of list.entries()) {
        const position = await backend.log.append(room, u);
        if (i < 5) {
          Y.applyUpdate(doc, u);
          covered = position;
        }
      }
      await backend.snapshots.store(room, Y.encodeStateAsUpdate(doc), covered);
      const before = await loadRoomState(backend.log, backend.snapshots, room);
      expect(rebuild(before.snapshot?.state, before.entries)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      await backend.log.trim(room, covered);
      const rest = await backend.log.read(room, LOG_START);
      expect(rest.length).toBe(3);
      const after = await loadRoomState(backend.log, backend.snapshots, room);
      expect(rebuild(after.snapshot?.state, after.entries)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(comparePositions(after.position, before.position)).toBe(0);
    });

    it('a load that races a compaction (snapshot committed, log trimmed) still sees every entry', async () => {
      const room = freshRoom();
      const list = updates(6);
      const doc = new Y.Doc();
      const positions: string[] = [];
      for (const u of list) positions.push(await backend.log.append(room, u));
      // The first read of the log is preceded by another instance's compaction up to the fourth entry.
      let raced = false;
      const racing: RoomLog = {
        ...backend.log,
        async read(r, after) {
          if (!raced) {
            raced = true;
            for (const u of list.slice(0, 4)) Y.applyUpdate(doc, u);
            const stale = await backend.log.read(r, after);
            await backend.snapshots.store(r, Y.encodeStateAsUpdate(doc), positions[3]!);
            await backend.log.trim(r, positions[3]!);
            return stale.filter((e) => comparePositions(e.position, positions[3]!) > 0);
          }
          return backend.log.read(r, after);
        },
      };
      const state = await loadRoomState(racing, backend.snapshots, room);
      expect(raced).toBe(true);
      expect(rebuild(state.snapshot?.state, state.entries)).toEqual([0, 1, 2, 3, 4, 5]);
    });

    it('a follow from a position whose entries were trimmed reports a gap instead of skipping them', async () => {
      const room = freshRoom();
      const list = updates(4);
      const positions: string[] = [];
      for (const u of list) positions.push(await backend.log.append(room, u));
      await backend.snapshots.store(room, list[0]!, positions[2]!);
      await backend.log.trim(room, positions[2]!);
      const errors: Error[] = [];
      const seen: LogEntry[] = [];
      const follow = backend.log.follow(room, positions[0]!, (entries) => seen.push(...entries), (error) => errors.push(error));
      await waitFor(() => errors.some((e) => e instanceof LogGapError), 10_000, 'a gap error');
      expect(seen).toEqual([]);
      follow.stop();
    });

    it('drop and delete remove a room', async () => {
      const room = freshRoom();
      const position = await backend.log.append(room, updates(1)[0]!);
      await backend.snapshots.store(room, updates(1)[0]!, position);
      await backend.snapshots.delete(room);
      await backend.log.drop(room);
      expect(await backend.snapshots.load(room)).toBeUndefined();
      expect(await backend.log.read(room, LOG_START)).toEqual([]);
    });

    it('refuses invalid room names everywhere', async () => {
      for (const bad of ['', '../x', 'a'.repeat(300), 'sp ace']) {
        await expect(backend.log.append(bad, updates(1)[0]!)).rejects.toThrow(/invalid room name/);
        await expect(backend.log.read(bad, LOG_START)).rejects.toThrow(/invalid room name/);
        await expect(backend.snapshots.load(bad)).rejects.toThrow(/invalid room name/);
        await expect(backend.snapshots.store(bad, updates(1)[0]!, LOG_START)).rejects.toThrow(/invalid room name/);
      }
    });

    it('the bus carries awareness and control messages to subscribers of the room only', async () => {
      const room = freshRoom();
      const other = factory.shared ? await open() : backend;
      const got: BusMessage[] = [];
      const elsewhere: BusMessage[] = [];
      const unsubscribe = other.bus.subscribe(room, (m) => got.push(m));
      other.bus.subscribe(freshRoom(), (m) => elsewhere.push(m));
      // Pub/sub subscriptions take effect asynchronously: publish until the first message arrives.
      await waitFor(() => {
        if (got.length === 0) backend.bus.publish({ kind: 'awareness', from: backend.instanceId, room, payload: new Uint8Array([1, 2, 3]) });
        return got.length > 0;
      }, 10_000, 'first bus message');
      const first = got[0]!;
      expect(first.kind).toBe('awareness');
      expect(first.kind === 'awareness' && [...first.payload]).toEqual([1, 2, 3]);
      backend.bus.publish({ kind: 'member-removed', from: backend.instanceId, room, user: 'u1' });
      await waitFor(() => got.some((m) => m.kind === 'member-removed'), 10_000, 'control message');
      expect(got.find((m) => m.kind === 'member-removed')).toMatchObject({ room, user: 'u1', from: backend.instanceId });
      expect(elsewhere).toEqual([]);
      unsubscribe();
    });

    it('the lease goes to one holder at a time, is released, and expires', async () => {
      const room = freshRoom();
      const other = factory.shared ? await open() : backend;
      const lease = await backend.lease.acquire(room, 60_000);
      expect(lease).toBeDefined();
      expect(await other.lease.acquire(room, 60_000)).toBeUndefined();
      await lease!.release();
      const second = await other.lease.acquire(room, 50);
      expect(second).toBeDefined();
      await waitFor(async () => (await backend.lease.acquire(room, 60_000)) !== undefined, 10_000, 'lease expiry');
    });
  });
}
