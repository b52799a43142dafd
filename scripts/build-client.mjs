// Builds the browser bundles: dist/chat-room.js (the embeddable element) and dist/web/ (the app served by the relay at /).
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const web = join(dist, 'web');
// 88 KB: Lit + Yjs + both transports (per-room and multiplexed with the tab leader), attachments, membership states.
const BUDGET_GZIP = 88 * 1024;

const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  sourcemap: 'linked',
  tsconfig: join(root, 'tsconfig.json'),
  logLevel: 'warning',
  // Lit's production build (no dev-mode warnings).
  conditions: ['production'],
};

const size = async (file) => {
  const bytes = await readFile(file);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

await rm(web, { recursive: true, force: true });
await mkdir(web, { recursive: true });

await build({ ...common, entryPoints: [join(root, 'client/ui/chat-room/chat-room.ts')], outfile: join(dist, 'chat-room.js') });
await build({ ...common, entryPoints: [join(root, 'client/ui/chat-app/app-main.ts')], outfile: join(web, 'app.js') });
// The search and thread panels for <chat-room> embeds, loaded by pages that want them (the app bundles them).
await build({ ...common, entryPoints: [join(root, 'client/ui/chat-search/chat-search.ts')], outfile: join(dist, 'chat-search.js') });
await build({ ...common, entryPoints: [join(root, 'client/ui/chat-thread/chat-thread.ts')], outfile: join(dist, 'chat-thread.js') });
// The search worker, beside each bundle that starts it (`new URL('./search-worker.js', import.meta.url)`).
await build({ ...common, entryPoints: [join(root, 'client/search/search-worker.ts')], outfile: join(dist, 'search-worker.js') });
await copyFile(join(dist, 'search-worker.js'), join(web, 'search-worker.js'));
// The service worker is a classic script at the root of the app, so its scope covers the whole app.
await build({ ...common, format: 'iife', entryPoints: [join(root, 'client/ui/chat-app/sw.ts')], outfile: join(web, 'sw.js'), sourcemap: false });

for (const file of ['index.html', 'manifest.webmanifest', 'icon.svg']) {
  await copyFile(join(root, 'client/ui/chat-app/static', file), join(web, file));
}
// The embed example, served by the relay too: http://127.0.0.1:8787/examples/embed.html
await mkdir(join(web, 'examples'), { recursive: true });
await mkdir(join(web, 'dist'), { recursive: true });
await copyFile(join(root, 'examples/embed.html'), join(web, 'examples/embed.html'));
await copyFile(join(dist, 'chat-room.js'), join(web, 'dist/chat-room.js'));
for (const file of ['search-worker.js', 'chat-search.js', 'chat-thread.js']) await copyFile(join(dist, file), join(web, 'dist', file));

// The service worker caches the shell under a version derived from the app's content, so a new build replaces it.
const app = await readFile(join(web, 'app.js'));
const { createHash } = await import('node:crypto');
const version = createHash('sha256').update(app).update(await readFile(join(web, 'index.html'))).digest('hex').slice(0, 12);
const sw = await readFile(join(web, 'sw.js'), 'utf8');
await writeFile(join(web, 'sw.js'), sw.replaceAll('__SHELL_VERSION__', version));

const element = await size(join(dist, 'chat-room.js'));
const appSize = await size(join(web, 'app.js'));
const workerSize = await size(join(dist, 'search-worker.js'));
const over = element.gzip > BUDGET_GZIP;
console.log(`dist/chat-room.js  ${kb(element.raw)}  gzip ${kb(element.gzip)}  (budget ${kb(BUDGET_GZIP)}${over ? ': OVER BUDGET' : ''})`);
console.log(`dist/web/app.js    ${kb(appSize.raw)}  gzip ${kb(appSize.gzip)}`);
console.log(`dist/search-worker.js  ${kb(workerSize.raw)}  gzip ${kb(workerSize.gzip)}`);
if (over) process.exit(1);
