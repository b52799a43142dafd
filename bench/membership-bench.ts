// Membership benchmark: what the relay spends per account document (write per entry, disk, load time, heap while loaded).
// Prints figures only; nothing here asserts a timing. Run: node --expose-gc --import tsx bench/membership-bench.ts
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { createDiskBackend } from '../relay/storage/disk-backend.js';
import { createConversationGuard } from '../relay/update-guard.js';
import { createMetrics } from '../relay/metrics.js';
import { createRoomManager } from '../relay/room-manager.js';
import { createAccountWriter } from '../relay/membership/relay-writes.js';
import { createClientIdBudget } from '../relay/client-id-budget.js';
import { DEFAULT_LIMITS } from '../relay/options.js';
import { accountRoomName } from '../shared/account.js';

const USERS = Number(process.env.USERS ?? 100);
const ENTRIES = Number(process.env.ENTRIES ?? 300);
const gc = (globalThis as { gc?: () => void }).gc;

const manager = (dir: string) =>
  createRoomManager({
    backend: createDiskBackend(dir),
    tracker: undefined,
    check: createConversationGuard(),
    metrics: createMetrics(),
    log: pino({ level: 'silent' }),
    compactLogBytes: 4 * 1024 * 1024,
    idleUnloadMs: 600_000,
    clientIds: createClientIdBudget(DEFAULT_LIMITS),
  });

const dirBytes = (dir: string): number => readdirSync(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-membership-bench-'));
  try {
    // 1. Writing: each entry is one relay write into the user's account document, as a roster change makes it.
    let rooms = manager(dir);
    const accounts = createAccountWriter(rooms);
    const users = Array.from({ length: USERS }, (_, i) => `user-${i}`);
    const writeMicros: number[] = [];
    for (let e = 0; e < ENTRIES; e++) {
      for (const user of users) {
        const started = performance.now();
        await accounts.record(user, `c.conversation-${e}`, { kind: 'group', title: `Conversation number ${e}`, role: 'member', joinedAt: 1_700_000_000_000 + e });
        writeMicros.push((performance.now() - started) * 1000);
      }
    }
    await rooms.closeAll();
    const names = await Promise.all(users.map((u) => accountRoomName(u)));
    const roomDirs = readdirSync(join(dir, 'rooms'));
    const diskBytes = roomDirs.map((d) => dirBytes(join(dir, 'rooms', d)));

    // 2. Loading: heap held per loaded account document, and load time.
    rooms = manager(dir);
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const loadMs: number[] = [];
    const loaded = [];
    for (const name of names) {
      const started = performance.now();
      loaded.push(await rooms.acquire(name));
      loadMs.push(performance.now() - started);
    }
    gc?.();
    const heapPerDoc = (process.memoryUsage().heapUsed - heapBefore) / names.length;
    for (const room of loaded) rooms.release(room);
    await rooms.closeAll();

    console.log(`membership bench: ${USERS} account documents × ${ENTRIES} conversations each`);
    console.log(`  write one list entry (acquire + relay write + release, loaded): median ${median(writeMicros).toFixed(0)} µs`);
    console.log(`  on disk after compaction: median ${(median(diskBytes) / 1024).toFixed(1)} KiB per account document (${(median(diskBytes) / ENTRIES).toFixed(0)} B per entry)`);
    console.log(`  load from disk: median ${median(loadMs).toFixed(2)} ms per account document`);
    console.log(`  heap while loaded: ${gc ? `${(heapPerDoc / 1024).toFixed(1)} KiB per account document` : 'run with node --expose-gc for this figure'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
