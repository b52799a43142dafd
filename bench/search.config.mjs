// Browser benchmark of local search (`npm run bench:search`): real Chromium, the real worker and IndexedDB; figures printed here.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { browsers, workerScripts } from '../web-test-runner.config.mjs';
import { relayPlugin } from '../test/browser/support/relay-plugin.mjs';
import clientBench from './client.config.mjs';

export default {
  ...clientBench,
  files: ['bench/search.bench.ts'],
  middleware: [workerScripts],
  plugins: [esbuildPlugin({ ts: true, tsconfig: 'tsconfig.json', target: 'es2022' }), relayPlugin(), ...clientBench.plugins.filter((p) => p.name === 'bench-print')],
  browsers,
};
