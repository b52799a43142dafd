// Runs the real parley-relay command in child processes (for cluster tests and benchmarks): start, kill -9, restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { freePort } from './free-port.js';

/** The relay compiled once per run, inside the repo so that its bare imports resolve from node_modules. */
const OUT = fileURLToPath(new URL('../../.tmp/relay-process/main.mjs', import.meta.url));
let built: Promise<void> | undefined;

/**
 * Bundles relay/main.ts (packages stay external): plain `node` starts it far faster than a TypeScript loader.
 * The push worker is a second entry point: the relay starts it from `push-worker.mjs` beside the bundle.
 */
export const buildRelay = (): Promise<void> =>
  (built ??= build({
    entryPoints: {
      main: fileURLToPath(new URL('../../relay/main.ts', import.meta.url)),
      'push-worker': fileURLToPath(new URL('../../relay/push/push-worker.ts', import.meta.url)),
    },
    outdir: dirname(OUT),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
  }).then(() => undefined));

export interface RelayProcess {
  readonly port: number;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly pid: number | undefined;
  /** Whether the process is running. */
  readonly running: boolean;
  /** What it printed (stdout and stderr), for failure messages. */
  output(): string;
  /** kill -9: no flush, no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM and wait: the graceful stop. */
  stop(): Promise<void>;
  /** Starts again on the same port (after kill or stop) and waits until ready. */
  start(): Promise<void>;
  /** Stops (SIGTERM, then SIGKILL after 10 s) and removes its data directory. */
  destroy(): Promise<void>;
}

export interface RelayProcessOptions {
  /** Extra command-line flags. */
  args?: string[];
  /** Extra environment (the secret goes here, never on the command line). */
  env?: Record<string, string>;
  /** Also wait for /readyz (default true). */
  waitReady?: boolean;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

/** Starts `node .tmp/relay-process/main.mjs --port <free> ...` and resolves once /readyz answers 200. */
export const startRelayProcess = async (options: RelayProcessOptions = {}): Promise<RelayProcess> => {
  await buildRelay();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-relay-proc-'));
  let child: ChildProcess | undefined;
  let output = '';
  const url = `http://127.0.0.1:${port}`;

  const start = async () => {
    const spawned = spawn(process.execPath, [OUT, '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'warn', ...(options.args ?? [])], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = spawned;
    live.add(spawned);
    spawned.once('exit', () => live.delete(spawned));
    spawned.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    spawned.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 60_000;
    const path = options.waitReady === false ? '/healthz' : '/readyz';
    for (;;) {
      if (spawned.exitCode !== null) throw new Error(`relay exited with ${spawned.exitCode}: ${output}`);
      try {
        const res = await fetch(`${url}${path}`);
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`relay not ready within 60 s: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  await start();
  return {
    port,
    url,
    get pid() {
      return child?.pid;
    },
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    output: () => output,
    async kill() {
      if (!child) return;
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      if (!child) return;
      child.kill('SIGTERM');
      await exited(child);
    },
    start,
    async destroy() {
      if (child) {
        const running = child;
        running.kill('SIGTERM');
        const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
        await exited(running);
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};
