#!/usr/bin/env node
// The parley-relay command: runs the compiled relay (npm run build, which npm install runs via prepare).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/relay/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('parley-relay: dist/relay/main.js is missing; run `npm run build` first.\n');
  process.exit(1);
}
await import(main.href);
