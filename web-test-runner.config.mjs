// Browser test configuration: real headless Debian Chromium (never a downloaded browser), TypeScript via esbuild, a real relay.
import { chromeLauncher } from '@web/test-runner-chrome';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { relayPlugin } from './test/browser/support/relay-plugin.mjs';
import { pushPlugin } from './test/browser/support/push-plugin.mjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const browsers = [
  chromeLauncher({
    launchOptions: {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--headless=new',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-dev-shm-usage',
        // Tests run in a background page: keep its timers at full speed.
        '--disable-background-timer-throttling',
        '--disable-renderer-backgrounding',
        '--disable-backgrounding-occluded-windows',
      ],
    },
  }),
];

/**
 * `new Worker(new URL('./x.js', import.meta.url))` in a TypeScript module: the bundle has x.js, the sources
 * have x.ts. Serve the .ts (esbuild then compiles it) when only it exists.
 */
export const workerScripts = (ctx, next) => {
  if (ctx.path.endsWith('.js') && !existsSync(join(process.cwd(), ctx.path))) {
    const ts = `${ctx.path.slice(0, -3)}.ts`;
    if (existsSync(join(process.cwd(), ts))) ctx.url = ts + (ctx.querystring ? `?${ctx.querystring}` : '');
  }
  return next();
};

export default {
  files: ['test/browser/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  middleware: [workerScripts],
  testsFinishTimeout: 600_000,
  plugins: [esbuildPlugin({ ts: true, tsconfig: 'tsconfig.json', target: 'es2022' }), relayPlugin(), pushPlugin()],
  browsers,
  testFramework: { config: { timeout: 20_000 } },
};
