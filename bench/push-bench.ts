// Push benchmark: a 1,000-member channel, 100 members online, 900 offline with push subscriptions at a local push service.
// Relay CPU per message (the whole process, and its main thread alone: pushes are sent on a worker thread) and the fan-out p99
// to the online members, with push off / on (levels decide: no push) / on (900 pushes), side by side.
// Prints figures only; nothing here asserts a timing. Run: npm run bench:push
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { SignJWT } from 'jose';
import { setPreferences } from '../shared/account.js';
import { sendMessage } from '../shared/operations.js';
import { startRelayProcess, type RelayProcess } from '../test/support/relay-process.js';
import { startPushService, type TestPushService } from '../test/support/push-service.js';

// Each stock provider adds a process 'exit' listener.
process.setMaxListeners(0);

const MEMBERS = Number(process.env.MEMBERS ?? 1000);
const ONLINE = Number(process.env.ONLINE ?? 100);
const MESSAGES = Number(process.env.MESSAGES ?? 24);
/** Messages per second while measuring: bursts overlap the previous bursts' pushes. */
const RATE = Number(process.env.RATE ?? 4);
const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

const token = (sub: string) =>
  new SignJWT({ name: sub, rooms: {} }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('2h').sign(new TextEncoder().encode(SECRET));

/** Polls every `intervalMs` (50 ms for /metrics: scraping costs the relay CPU that would count against push). */
const waitFor = async (predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 5) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
};

/** Runs `work` over `items` with `limit` at once. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/** User + system CPU in ms (Linux /proc) of a process (all its threads) or, with `thread`, of one thread. */
const cpuMs = (pid: number, thread?: number): number => {
  const path = thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`;
  const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
};

const connect = (relay: RelayProcess, room: string, jwt: string, doc = new Y.Doc()) =>
  new WebsocketProvider(`ws://127.0.0.1:${relay.port}/rooms`, room, doc, { params: { token: jwt }, WebSocketPolyfill: WebSocket as never, disableBc: true });
const synced = (p: WebsocketProvider) => waitFor(() => p.synced, 30_000, 'synced');

const post = async (relay: RelayProcess, jwt: string, path: string, body: unknown) => {
  const res = await fetch(`${relay.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, unknown>>;
};

const metric = async (relay: RelayProcess, line: string): Promise<number> => {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? 0 : Number(found.split(' ').pop());
};

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

interface Figures {
  mode: string;
  cpuPerMessageMs: number;
  /** The main thread's share (its thread id is the process id): what competes with the fan-out. */
  mainCpuPerMessageMs: number;
  fanOutP50: number;
  fanOutP99: number;
  pushes: number;
  pushesPerMessage: number;
  coldDecisionMs?: number;
}

/** One relay: builds the channel, measures MESSAGES messages at RATE per second. */
async function run(mode: 'off' | 'decide' | 'all', service: TestPushService, caFile: string): Promise<Figures> {
  const args = ['--creation', 'open', '--connections-per-user', '64', '--messages-per-second', '1000'];
  if (mode === 'off') args.push('--no-push');
  else args.push('--push-allow-origin', service.origin);
  const relay = await startRelayProcess({ args, env: { PARLEY_JWT_SECRET: SECRET, NODE_EXTRA_CA_CERTS: caFile, PARLEY_IDLE_UNLOAD_SECONDS: '600', PARLEY_MAX_PENDING_SOCKETS_PER_IP: '0' } });
  const providers: WebsocketProvider[] = [];
  try {
    const owner = await token('owner');
    const { room } = (await post(relay, owner, '/conversations', { kind: 'channel', title: 'Everyone', public: true })) as { room: string };
    const members = Array.from({ length: MEMBERS - 1 }, (_, i) => `member-${i}`);
    const offline = members.slice(ONLINE - 1);
    await pool(members, 16, async (user) => {
      await post(relay, await token(user), `/conversations/${room}/join`, {});
    });
    if (mode !== 'off') {
      await pool(offline, 16, async (user) => {
        await post(relay, await token(user), '/push/subscriptions', { subscription: service.subscribe(`${mode}-${user}`) });
      });
    }
    if (mode === 'all') {
      // Every offline member chose "all messages" for the channel (the default for channels is mentions).
      await pool(offline, 16, async (user) => {
        const jwt = await token(user);
        const p = connect(relay, '~account', jwt);
        await synced(p);
        setPreferences(p.doc, room, { notify: 'all' });
        const check = connect(relay, '~account', jwt);
        await waitFor(() => (check.doc.getMap<{ notify?: string }>('preferences').get(room)?.notify === 'all'), 30_000, 'preference stored');
        p.destroy();
        check.destroy();
      });
    }
    const sender = connect(relay, room, owner);
    providers.push(sender);
    await synced(sender);
    const received = new Map<string, number[]>();
    const sentAt = new Map<string, number>();
    for (const user of members.slice(0, ONLINE - 1)) {
      const p = connect(relay, room, await token(user));
      providers.push(p);
      p.doc.getArray<{ id: string }>('messages').observe((event) => {
        const now = performance.now();
        for (const item of event.changes.added) for (const record of item.content.getContent() as { id: string }[]) {
          const sent = sentAt.get(record.id);
          if (sent !== undefined) received.get(record.id)?.push(now - sent);
        }
      });
    }
    await Promise.all(providers.map(synced));
    const writer = { userId: 'owner', role: 'admin' as const };
    const pushesTo = () => service.received.filter((r) => r.device.startsWith(`${mode}-`)).length;

    // Warm-up message: loads the subscribed members' preferences (cold cache) once.
    const warmStart = performance.now();
    const warm = sendMessage(sender.doc, writer, { text: 'warm-up' });
    sentAt.set(warm.id, performance.now());
    received.set(warm.id, []);
    // Decided = every subscribed offline member's preferences read (from their account documents: a cold cache) and judged.
    const decided = async () => {
      let sum = 0;
      for (const outcome of ['notify', 'level', 'unavailable']) sum += await metric(relay, `parley_push_decisions_total{outcome="${outcome}"}`);
      return sum;
    };
    await waitFor(async () => mode === 'off' || (await decided()) >= offline.length, 60_000, 'warm-up decided', 20);
    const coldDecisionMs = mode === 'off' ? undefined : performance.now() - warmStart;
    await waitFor(async () => received.get(warm.id)!.length === ONLINE - 1 && (mode === 'off' || (await metric(relay, 'parley_push_pending')) === 0), 60_000, 'warm-up done', 50);
    received.delete(warm.id);
    const pushesBefore = pushesTo();

    const pid = relay.pid!;
    const cpuBefore = cpuMs(pid);
    const mainCpuBefore = cpuMs(pid, pid);
    const ids: string[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const started = performance.now();
      const record = sendMessage(sender.doc, writer, { text: `message ${i} ${'lorem ipsum '.repeat(8)}` });
      sentAt.set(record.id, started);
      received.set(record.id, []);
      ids.push(record.id);
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 / RATE - (performance.now() - started))));
    }
    await waitFor(() => ids.every((id) => received.get(id)!.length === ONLINE - 1), 60_000, 'every online member got every message');
    await waitFor(async () => mode === 'off' || (await metric(relay, 'parley_push_pending')) === 0, 120_000, 'pushes done', 50);
    const cpu = cpuMs(pid) - cpuBefore;
    const mainCpu = cpuMs(pid, pid) - mainCpuBefore;
    // A push worker that could not start shows as errors in the relay's log (and no pushes): not a figure to print.
    if (/push worker/.test(relay.output())) throw new Error(`the relay's push worker failed:\n${relay.output()}`);
    const latencies = ids.flatMap((id) => received.get(id)!);
    const pushes = pushesTo() - pushesBefore;
    return {
      mode,
      cpuPerMessageMs: cpu / MESSAGES,
      mainCpuPerMessageMs: mainCpu / MESSAGES,
      fanOutP50: percentile(latencies, 50),
      fanOutP99: percentile(latencies, 99),
      pushes,
      pushesPerMessage: pushes / MESSAGES,
      ...(coldDecisionMs !== undefined ? { coldDecisionMs } : {}),
    };
  } finally {
    for (const p of providers) p.destroy();
    await relay.destroy();
  }
}

async function main(): Promise<void> {
  const service = await startPushService({ verify: false });
  const dir = mkdtempSync(join(tmpdir(), 'parley-push-bench-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, service.ca);
  try {
    const results: Figures[] = [];
    for (const mode of ['off', 'decide', 'all'] as const) results.push(await run(mode, service, caFile));
    const [load1] = loadavg();
    console.log(`\npush bench: ${MEMBERS}-member channel, ${ONLINE} online, ${MEMBERS - ONLINE} offline with subscriptions; ${MESSAGES} messages at ${RATE}/s; load average ${load1!.toFixed(2)}`);
    console.log('mode                               relay CPU/msg  main thread  fan-out p50  fan-out p99  pushes  pushes/msg  first msg decided (cold)');
    const names = { off: 'push off', decide: 'push on, default levels (none due)', all: 'push on, 900 at level all' };
    for (const r of results) {
      console.log(
        `${names[r.mode as keyof typeof names].padEnd(35)}${r.cpuPerMessageMs.toFixed(2).padStart(10)} ms${r.mainCpuPerMessageMs.toFixed(2).padStart(10)} ms${r.fanOutP50.toFixed(1).padStart(10)} ms${r.fanOutP99.toFixed(1).padStart(10)} ms${String(r.pushes).padStart(8)}${r.pushesPerMessage.toFixed(0).padStart(12)}${r.coldDecisionMs === undefined ? '' : `${r.coldDecisionMs.toFixed(0).padStart(14)} ms`}`,
      );
    }
    console.log('(pushes/msg < 900 in "all": a member\'s burst window (1 s) collapses the messages sent within it into one push)');
  } finally {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
