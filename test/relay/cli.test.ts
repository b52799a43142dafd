// The parley-relay command: flags and environment, clear configuration errors, help, dev mode, and SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../relay/cli-args.js';
import { ConfigError, resolveOptions } from '../../relay/options.js';
import { sendMessage } from '../../shared/conversation.js';
import { SECRET, connectProvider, synced, tempDir, waitFor } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../relay/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** Runs the CLI from source in `cwd`; resolves when it exits (or kill it through `child`). */
const run = (args: string[], cwd: string, env: Record<string, string> = {}) => {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const result = { stdout: '', stderr: '', code: null as number | null, exited: false };
  child.stdout.on('data', (c: Buffer) => (result.stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (result.stderr += c.toString()));
  const exited = new Promise<typeof result>((resolve) =>
    child.on('exit', (code) => {
      result.code = code;
      result.exited = true;
      resolve(result);
    }),
  );
  return { child, result, exited };
};

describe('command-line options', () => {
  it('takes flags over environment variables', () => {
    const command = parseCli(['--port', '9000', '--data-dir', '/srv/parley'], { PORT: '1', HOST: '0.0.0.0', PARLEY_JWT_ISSUER: 'https://id' });
    expect(command).toMatchObject({ help: false, options: { port: 9000, host: '0.0.0.0', dataDir: '/srv/parley', jwt: { issuer: 'https://id' } } });
  });

  it('reads the secret from a file and limits from flags', () => {
    const dir = tempDir();
    const file = join(dir.dir, 'secret');
    writeFileSync(file, `${SECRET}\n`);
    const command = parseCli(['--jwt-secret-file', file, '--max-frame-bytes', '2048', '--idle-unload-seconds', '5'], {});
    if (command.help) throw new Error('unexpected help');
    expect(command.options.jwt?.secret).toBe(SECRET);
    expect(command.options.limits?.maxFrameBytes).toBe(2048);
    expect(command.options.idleUnloadMs).toBe(5000);
    dir.cleanup();
  });

  it('reads the /sync mux limits and the per-address pending cap from flags and environment', () => {
    const command = parseCli(['--mux-docs-per-socket', '50', '--mux-attaches-per-minute', '120', '--max-pending-sockets-per-ip', '0'], {
      PARLEY_MUX_MESSAGES_PER_SECOND: '200',
      PARLEY_MUX_BYTES_PER_SECOND: '1048576',
      PARLEY_MUX_DOCS_PER_SOCKET: '9',
    });
    if (command.help) throw new Error('unexpected help');
    expect(command.options.limits).toEqual({
      muxDocsPerSocket: 50,
      muxAttachesPerMinute: 120,
      muxMessagesPerSecond: 200,
      muxBytesPerSecond: 1048576,
      maxPendingSocketsPerIp: 0,
    });
    // 0 switches the per-address cap off; the relay accepts it.
    expect(resolveOptions({ ...command.options, jwt: {} }).limits).toMatchObject({ maxPendingSocketsPerIp: 0, muxDocsPerSocket: 50 });
    expect(resolveOptions({}).limits.maxPendingSocketsPerIp).toBe(16);
    const bad: [string[], Record<string, string>, RegExp][] = [
      [['--mux-docs-per-socket', '0'], {}, /--mux-docs-per-socket must be a whole number of at least 1 \(got "0"\)/],
      [['--mux-attaches-per-minute', 'lots'], {}, /--mux-attaches-per-minute must be a whole number/],
      [[], { PARLEY_MUX_MESSAGES_PER_SECOND: '0' }, /--mux-messages-per-second must be a whole number of at least 1/],
      [[], { PARLEY_MUX_BYTES_PER_SECOND: '-5' }, /--mux-bytes-per-second must be a whole number/],
      [['--max-pending-sockets-per-ip', '1.5'], {}, /--max-pending-sockets-per-ip must be a whole number/],
    ];
    for (const [argv, env, message] of bad) {
      expect(() => parseCli(argv, env)).toThrow(ConfigError);
      expect(() => parseCli(argv, env)).toThrow(message);
    }
    expect(() => resolveOptions({ limits: { maxPendingSocketsPerIp: -1 } })).toThrow(/limits.maxPendingSocketsPerIp must be an integer ≥ 0/);
    expect(() => resolveOptions({ limits: { muxBytesPerSecond: 0 } })).toThrow(/limits.muxBytesPerSecond must be an integer ≥ 1/);
  });

  it('fails with clear messages for bad configuration', () => {
    const bad: [string[], Record<string, string>, RegExp][] = [
      [['--port', 'eighty'], {}, /--port must be a whole number/],
      [['--nope'], {}, /Unknown option '--nope'/],
      [['--jwt-secret', SECRET, '--jwks-url', 'https://x/jwks'], {}, /only one of/],
      [['--jwt-secret-file', '/does/not/exist'], {}, /cannot read \/does\/not\/exist/],
      [[], { PARLEY_MAX_FRAME_BYTES: '-1' }, /must be a whole number/],
    ];
    for (const [argv, env, message] of bad) expect(() => parseCli(argv, env)).toThrow(message);
    const invalid: [Parameters<typeof resolveOptions>[0], RegExp][] = [
      [{ jwt: { secret: 'short' } }, /at least 32 bytes/],
      [{ jwt: { jwksUrl: 'ftp://x' } }, /https/],
      [{ jwt: { secret: SECRET }, devMode: true }, /dev mode cannot be enabled/],
      [{ port: 70000 }, /port/],
      [{ logLevel: 'loud' }, /log level/],
      [{ limits: { maxFrameBytes: 0 } }, /maxFrameBytes/],
    ];
    for (const [options, message] of invalid) {
      try {
        resolveOptions(options);
        throw new Error(`accepted ${JSON.stringify(options)}`);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toMatch(message);
      }
    }
  });

  it('prints help, and exits 2 with a message for bad configuration', async () => {
    const dir = tempDir();
    const help = await run(['--help'], dir.dir).exited;
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--jwt-public-key-file');
    const bad = await run(['--jwt-secret', 'short'], dir.dir).exited;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('configuration error: the JWT secret must be at least 32 bytes');
    dir.cleanup();
  });

  it('runs with embedded defaults in dev mode, warns loudly, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const proc = run(['--port', '0'], dir.dir);
    const url = await waitFor(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(proc.result.stdout)?.[1] ?? '', 15_000, 'listening');
    // stdout and stderr are separate pipes: the banner may be read after the "listening" line.
    await waitFor(() => proc.result.stderr.includes('DEV MODE'), 15_000, 'the DEV MODE banner on stderr');
    expect(existsSync(join(dir.dir, 'data'))).toBe(true);
    const res = await fetch(`${url}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"Ada"}' });
    const { token, user } = (await res.json()) as { token: string; user: { id: string } };
    const relay = { url, port: Number(new URL(url).port), devMode: true, close: async () => {} };
    const p = connectProvider(relay, 'cli-room', token);
    await synced(p);
    sendMessage(p.doc, { userId: user.id, role: 'write' }, { text: 'persisted' });
    await waitFor(() => existsSync(join(dir.dir, 'data', 'rooms')), 5000, 'the rooms directory');
    const closed = new Promise<number>((resolve) => p.on('connection-close', (event) => resolve(event!.code)));
    proc.child.kill('SIGTERM');
    expect(await closed).toBe(1012);
    p.destroy();
    const done = await proc.exited;
    expect(done.code).toBe(0);
    expect(done.stdout).not.toContain(token);
    expect(existsSync(join(dir.dir, 'data', 'relay.pid'))).toBe(false);
    dir.cleanup();
  });
});
