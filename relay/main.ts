// The parley-relay command: parses flags and environment, starts the relay, and stops it gracefully on signals.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { HELP, parseCli } from './cli-args.js';
import { ConfigError } from './options.js';
import { startRelay } from './index.js';

// Compiled this file is dist/relay/main.js; run from source (tsx) it is relay/main.ts.
const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = here.endsWith(join('dist', 'relay')) ? join(here, '..', '..') : join(here, '..');
const defaultStaticDir = join(packageRoot, 'dist', 'web');

const main = async (): Promise<void> => {
  const command = parseCli(process.argv.slice(2), process.env, { staticDir: defaultStaticDir });
  if (command.help) {
    process.stdout.write(HELP);
    return;
  }
  const relay = await startRelay(command.options);
  if (relay.devMode) {
    process.stderr.write(
      [
        '',
        '  ************************************************************************',
        '  *  DEV MODE: no JWT key configured. Tokens are signed with a random     *',
        '  *  secret and POST /dev/token gives one to anybody who asks.            *',
        '  *  Do not expose this relay. See parley-relay --help for key options.   *',
        '  ************************************************************************',
        '',
        '',
      ].join('\n'),
    );
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`parley-relay: second ${signal}, exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    relay.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`parley-relay: shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
};

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`parley-relay: configuration error: ${error.message}\n`);
    process.exit(2);
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    process.stderr.write(`parley-relay: cannot listen: ${(error as Error).message}\n`);
    process.exit(2);
  }
  process.stderr.write(`parley-relay: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
