// Starts a real PostgreSQL 15 for tests: initdb in a temp dir, bound to 127.0.0.1 on a free port, run as `postgres` when we are root.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication, local only). */
  readonly url: string;
  readonly port: number;
  /** Stops (fast shutdown) and waits. */
  stop(): Promise<void>;
  /** Starts again after `stop`. */
  start(): Promise<void>;
  /** Stops and removes the directory. */
  destroy(): Promise<void>;
}

/** PostgreSQL refuses to run as root: run its binaries as the `postgres` user then. */
const asServerUser = (command: string, args: string[]): [string, string[]] =>
  userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];

const exec = async (command: string, args: string[]): Promise<void> => {
  const [file, argv] = asServerUser(command, args);
  try {
    await run(file, argv, { timeout: 120_000 });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${command} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
};

/** initdb + pg_ctl start; resolves once the server accepts connections. */
export const startTestPostgres = async (): Promise<TestPostgres> => {
  if (!existsSync(join(BIN, 'initdb'))) throw new Error(`PostgreSQL 15 is not installed (${BIN}); run scripts/ensure-system-deps.sh`);
  const dir = mkdtempSync(join(tmpdir(), 'parley-postgres-'));
  if (userInfo().uid === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  const port = await freePort();
  await exec(join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const start = () =>
    exec(join(BIN, 'pg_ctl'), [
      '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60',
      '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=60`,
      'start',
    ]);
  const stop = () => exec(join(BIN, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']).catch(() => {});
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
