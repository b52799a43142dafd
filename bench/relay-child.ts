// A Parley relay run as a child process for the relay benches (bench:relay): its CPU and RSS are its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { reapOnExit } from './child-reaper.js';

const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';
const MAIN = fileURLToPath(new URL('../relay/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** Child-process preamble: SIGUSR2 runs a full GC, so memory figures are not inflated by garbage not yet collected. */
export const GC_ON_SIGNAL =
  "process.on('SIGUSR2', () => { globalThis.gc(); console.log(JSON.stringify({ benchMemory: process.memoryUsage() })); });";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `predicate` every 2 ms; throws naming `what` after `timeoutMs`. */
export const waitFor = async (predicate: () => boolean, timeoutMs: number, what: string): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(2);
  }
};

/** A token for `sub` granting every room with `role`, signed with the child relays' secret. */
export const token = (sub: string, role: 'write' | 'admin' = 'write') =>
  new SignJWT({ name: sub, rooms: { '*': role } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

export interface RelayChild {
  proc: ChildProcess;
  /** Everything the child printed so far. */
  output: () => string;
  url: string;
  dataDir: string;
}

/** Starts a relay in a temporary data directory, limits opened for benchmarking, plus `extra` flags. */
export const startRelayChild = async (extra: string[] = []): Promise<RelayChild> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const args = ['--port', '0', '--data-dir', dataDir, '--jwt-secret', SECRET, '--log-level', 'info',
    '--connections-per-user', '5000', '--messages-per-second', '100000', '--max-pending-sockets-per-ip', '0', ...extra];
  const proc = reapOnExit(spawn(
    process.execPath,
    ['--expose-gc', '--import', TSX, '--input-type=module', '-e', `${GC_ON_SIGNAL} process.argv.splice(1, Infinity, "parley-relay", ...${JSON.stringify(args)}); await import(${JSON.stringify(MAIN)});`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  ));
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  await waitFor(() => /"url":"http:\/\/127\.0\.0\.1:\d+"/.test(out), 20_000, 'relay start');
  return { proc, output: () => out, url: /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)![1]!, dataDir };
};

/** Stops the child (SIGTERM: a clean shutdown) and removes its data directory. */
export const stopChild = async (child: RelayChild) => {
  const exited = new Promise((resolve) => child.proc.once('exit', resolve));
  child.proc.kill('SIGTERM');
  await exited;
  rmSync(child.dataDir, { recursive: true, force: true });
};

/** Resident memory of a process, in bytes. */
export const rss = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** RSS and heap after asking the child for a full GC (see GC_ON_SIGNAL). */
export const settledMemory = async (proc: ChildProcess, output: () => string): Promise<{ rss: number; heap: number }> => {
  const from = output().length;
  proc.kill('SIGUSR2');
  const pattern = /\{"benchMemory":(\{[^}]*\})\}/;
  await waitFor(() => pattern.test(output().slice(from)), 10_000, 'memory report');
  await sleep(100);
  const usage = JSON.parse(pattern.exec(output().slice(from))![1]!) as { heapUsed: number };
  return { rss: rss(proc.pid!), heap: usage.heapUsed };
};
