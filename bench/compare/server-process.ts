// The parent side of a benchmarked server: compiles and forks it on 127.0.0.1, probes its memory and CPU, and always stops it.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { ChildConfig, ChildMessage, ParentMessage } from './servers/child-ipc.js';

export interface ServerStats {
  /** Resident set size after two forced GCs, bytes. */
  rss: number;
  heapUsed: number;
  /** User + system CPU time used so far, µs. */
  cpuMicros: number;
}

export interface ServerHandle {
  readonly port: number;
  readonly pid: number;
  stats(): Promise<ServerStats>;
  /** CPU used so far, µs, without the forced collections of `stats` (cheap enough to poll). */
  cpuMicros(): Promise<number>;
  /** Writes a V8 heap snapshot of the server to `path` (investigations only: it pauses the server). */
  heapSnapshot(path: string): Promise<void>;
  /** Starts a CPU profile of the server (one phase of a scenario); `stopProfile` writes it as a .cpuprofile. */
  startProfile(): Promise<void>;
  stopProfile(path: string): Promise<void>;
  /** Asks the server to stop; kills it if it has not exited within 10 s. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Write a V8 CPU profile of the child into this directory (node --cpu-prof). */
  cpuProfDir?: string;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every child still running: on normal exit, on Ctrl-C and on an uncaught failure. */
const installExitHook = () => {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const child of live) child.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
};

const START_TIMEOUT_MS = 30_000;

/** Compiled server scripts live here: inside the repo, so their bare imports resolve from its node_modules. */
const BUILD_DIR = fileURLToPath(new URL('../../.tmp/bench-servers/', import.meta.url));
let built: Promise<void> | undefined;

/**
 * Compiles every server script (and the relay source it imports) to plain JavaScript once per run, so that
 * each server runs on bare `node` as in production: no tsx loader thread in its RSS, and none of the
 * keep-names helper tsx adds to every named function (on Parley's per-connection closures that alone
 * cost ≈1.5 KB per connection). Packages stay external: they run from node_modules exactly as installed.
 */
export const buildServers = (): Promise<void> =>
  (built ??= build({
    entryPoints: ['parley-server.ts', 'y-websocket-server.ts', 'hocuspocus-server.ts', 'raw-server.ts'].map((name) =>
      fileURLToPath(new URL(`./servers/${name}`, import.meta.url)),
    ),
    outdir: BUILD_DIR,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'error',
  }).then(() => undefined));
const STATS_TIMEOUT_MS = 10_000;

/** Starts one server script from ./servers in its own process and resolves once it listens. */
export const startServer = async (script: string, config: ChildConfig, options: StartOptions = {}): Promise<ServerHandle> => {
  installExitHook();
  await buildServers();
  const path = `${BUILD_DIR}${script.replace(/\.ts$/, '.mjs')}`;
  const execArgv = ['--expose-gc', '--enable-source-maps'];
  if (options.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
  const child = fork(path, [], {
    execArgv,
    env: { ...process.env, BENCH_SERVER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  live.add(child);
  // Keep the tail of the child's output to explain a failure.
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    live.delete(child);
    resolve();
  }));

  const pending = new Map<number, (stats: ServerStats) => void>();
  const snapshots = new Map<number, () => void>();
  let nextId = 1;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${START_TIMEOUT_MS} ms\n${output}`)), START_TIMEOUT_MS);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.port);
      } else if (message.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`${script} failed to start: ${message.message}\n${output}`));
      } else if (message.type === 'heap-snapshot' || message.type === 'profiled') {
        snapshots.get(message.id)?.();
        snapshots.delete(message.id);
      } else if (message.type === 'stats') {
        pending.get(message.id)?.({ rss: message.rss, heapUsed: message.heapUsed, cpuMicros: message.cpuMicros });
        pending.delete(message.id);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with code ${String(code)} before listening\n${output}`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });

  const post = (message: ParentMessage) => {
    if (child.connected) child.send(message);
  };
  const stats = (noCollect = false) =>
    new Promise<ServerStats>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${script} did not answer a stats probe (exit ${String(child.exitCode ?? child.signalCode)})\n${output}`));
      }, STATS_TIMEOUT_MS);
      pending.set(id, (stats) => {
        clearTimeout(timer);
        resolve(stats);
      });
      post({ type: 'stats', id, noCollect });
    });
  return {
    port,
    pid: child.pid ?? -1,
    stats: () => stats(),
    cpuMicros: async () => (await stats(true)).cpuMicros,
    heapSnapshot: (path: string) =>
      new Promise<void>((resolve) => {
        const id = nextId++;
        snapshots.set(id, resolve);
        post({ type: 'heap-snapshot', id, path });
      }),
    startProfile: () =>
      new Promise<void>((resolve) => {
        const id = nextId++;
        snapshots.set(id, resolve);
        post({ type: 'profile-start', id });
      }),
    stopProfile: (path: string) =>
      new Promise<void>((resolve) => {
        const id = nextId++;
        snapshots.set(id, resolve);
        post({ type: 'profile-stop', id, path });
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      post({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
};
