// Browser benchmark of the client (`npm run bench:client`): real Chromium, real relay; figures printed by the Node side.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { browsers } from '../web-test-runner.config.mjs';
import { relayPlugin } from '../test/browser/support/relay-plugin.mjs';

/** Prints lines the benchmark page sends (`executeServerCommand('bench-print', { line })`) to this terminal. */
const printPlugin = () => ({
  name: 'bench-print',
  executeCommand({ command, payload }) {
    if (command !== 'bench-print') return undefined;
    process.stdout.write(`${payload.line}\n`);
    return true;
  },
});

export default {
  files: ['bench/client.bench.ts'],
  nodeResolve: true,
  concurrency: 1,
  staticLogging: true,
  testsFinishTimeout: 600_000,
  plugins: [esbuildPlugin({ ts: true, tsconfig: 'tsconfig.json', target: 'es2022' }), relayPlugin(), printPlugin()],
  browsers,
  // BENCH_GREP=… runs only the matching benchmarks (mocha's grep).
  testFramework: { config: { timeout: 600_000, ...(process.env.BENCH_GREP ? { grep: process.env.BENCH_GREP } : {}) } },
};
