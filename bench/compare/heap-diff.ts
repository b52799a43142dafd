// Investigation tool: what one server retains per idle connection, by constructor (heap snapshots before and after).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { TARGETS, launch, type TargetId } from './targets.js';
import { inBatches, sleep } from './timing.js';
import { ready } from './scenarios/room-setup.js';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count per constructor (node name for objects, node type otherwise). */
const byConstructor = (path: string): Map<string, { size: number; count: number }> => {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!] ?? '?';
    const name = type === 'object' || type === 'closure' ? `${type}:${snap.strings[snap.nodes[i + nameAt]!]}` : `(${type})`;
    const entry = out.get(name) ?? { size: 0, count: 0 };
    entry.size += snap.nodes[i + sizeAt]!;
    entry.count++;
    out.set(name, entry);
  }
  return out;
};

const main = async () => {
  const id = (process.argv[2] ?? 'parley') as TargetId;
  const connections = Number(process.argv[3] ?? 1000);
  const rooms = Math.max(1, Math.round(connections / 10));
  const target = TARGETS.find((t) => t.id === id);
  if (!target) throw new Error(`unknown target ${id}`);
  const running = await launch(target);
  try {
    await sleep(1000);
    const before = join(tmpdir(), `heap-${id}-before.heapsnapshot`);
    const after = join(tmpdir(), `heap-${id}-after.heapsnapshot`);
    await running.server.heapSnapshot(before);
    const clients = await inBatches(connections, 50, async (i) => {
      const client = await running.connect(`heap-room-${i % rooms}`, `heap-u${i}`);
      await ready(running, client);
      return client;
    });
    await sleep(1000);
    await running.server.heapSnapshot(after);
    const a = byConstructor(before);
    const b = byConstructor(after);
    const rows = [...b].map(([name, v]) => ({ name, size: v.size - (a.get(name)?.size ?? 0), count: v.count - (a.get(name)?.count ?? 0) }));
    rows.sort((x, y) => y.size - x.size);
    const total = rows.reduce((s, r) => s + r.size, 0);
    process.stdout.write(`${target.label}: ${connections} connections over ${rooms} rooms, heap growth ${(total / connections).toFixed(0)} B per connection\n`);
    for (const r of rows.slice(0, 30)) {
      process.stdout.write(`${(r.size / connections).toFixed(0).padStart(7)} B/conn ${(r.count / connections).toFixed(2).padStart(7)} obj/conn  ${r.name}\n`);
    }
    await inBatches(clients.length, 100, (i) => clients[i]!.close());
  } finally {
    await running.stop();
  }
};

main().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
