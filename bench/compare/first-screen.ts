// The browser's first-screen curve (10k / 50k / 100k messages) for `npm run bench`: runs bench/client.bench.ts's test in Debian's Chromium and reads its figures.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One conversation length: per run, ms until the newest messages are in state, until all are, and the longest main-thread task. */
export interface FirstScreen {
  messages: number;
  /** Encoded size of the conversation, MiB. */
  mib: number;
  screenMs: number[];
  fullMs: number[];
  longestTaskMs: number[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TIMEOUT_MS = 15 * 60_000;
const PREFIX = 'first-screen-json ';
/** Conversation lengths the test measures (10k, 50k, 100k). */
const LENGTHS = 3;

/** The Chromium the browser tests use (never a downloaded one), or undefined when it is not installed. */
export const chromiumPath = (): string | undefined => {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  return existsSync(path) ? path : undefined;
};

/**
 * Runs the first-screen benchmark (`npm run bench:client`, that test only) and returns its figures per length.
 * Rejects when it fails or prints no figures.
 */
export const runFirstScreen = (log: (line: string) => void): Promise<FirstScreen[]> =>
  new Promise((resolve, reject) => {
    const child = spawn(`${ROOT}node_modules/.bin/web-test-runner`, ['--config', 'bench/client.config.mjs'], {
      cwd: ROOT,
      env: { ...process.env, BENCH_GREP: 'first screen' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const results: FirstScreen[] = [];
    let output = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        output = `${output}${line}\n`.slice(-4000);
        if (line.startsWith(PREFIX)) results.push(JSON.parse(line.slice(PREFIX.length)) as FirstScreen);
        else if (line.startsWith('client:')) log(`  ${line}`);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output = `${output}${chunk.toString()}`.slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      // web-test-runner counts the tests BENCH_GREP leaves out as failed (exit 1): the figures decide.
      if (results.length === LENGTHS) resolve(results);
      else reject(new Error(`the first-screen benchmark failed (exit ${String(code)}, ${results.length} of ${LENGTHS} lengths measured):\n${output}`));
    });
  });
