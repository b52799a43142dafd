// Takes the UI screenshots in docs/ (app light, dark, mobile 375 px and offline; embed example light and dark) with
// Debian's Chromium, and checks that the app reopens from its service worker and IndexedDB with the relay down while
// other pages of the origin are left alone by that worker. Run: npm run build && node scripts/ui-screenshots.mjs
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { tsImport } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const docs = join(root, 'docs');
const { startRelay } = await tsImport('../relay/index.ts', import.meta.url);
const dataDir = await mkdtemp(join(tmpdir(), 'parley-shots-'));
const relayOptions = { host: '127.0.0.1', dataDir, devMode: true, logLevel: 'silent', staticDir: join(root, 'dist', 'web') };
let relay = await startRelay({ ...relayOptions, port: 0 });
const port = relay.port;
const base = `http://127.0.0.1:${port}`;

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--hide-scrollbars'],
});

const sleepFrames = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

/** Runs `fn` against the <chat-app> shadow root until it returns truthy. */
const appWait = (page, fn, arg) => page.waitForFunction(fn, { timeout: 15_000, polling: 50 }, arg);

async function openApp(name, scheme) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[${name}] page error:`, error.message));
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
  await page.setViewport({ width: 1100, height: 720 });
  await page.goto(`${base}/`);
  await appWait(page, () => document.querySelector('chat-app')?.shadowRoot?.querySelector('input[name="name"]'));
  await page.evaluate((n) => {
    const root = document.querySelector('chat-app').shadowRoot;
    root.querySelector('input[name="name"]').value = n;
    root.querySelector('.signin form').requestSubmit();
  }, name);
  await appWait(page, () => document.querySelector('chat-app').shadowRoot.querySelector('.join'));
  return page;
}

async function joinRoom(page, room) {
  await page.evaluate((r) => {
    const root = document.querySelector('chat-app').shadowRoot;
    root.querySelector('.join input').value = r;
    root.querySelector('.join').requestSubmit();
  }, room);
  await appWait(page, () => document.querySelector('chat-app').shadowRoot.querySelector('chat-room')?.status === 'synced');
}

const roomOf = (page) => page.evaluateHandle(() => document.querySelector('chat-app').shadowRoot.querySelector('chat-room'));

async function send(page, text) {
  const room = await roomOf(page);
  await page.evaluate(async (el, t) => {
    const input = el.shadowRoot.querySelector('.input');
    input.value = t;
    input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
    await el.updateComplete;
    el.shadowRoot.querySelector('.composer').requestSubmit();
  }, room, text);
  await page.waitForFunction((el, t) => [...el.shadowRoot.querySelectorAll('.text')].some((n) => n.textContent === t), { timeout: 15_000 }, room, text);
}

try {
  // ---- the app: two people in one room, plus a second room with unread messages ----
  const ada = await openApp('Ada Lovelace', 'light');
  const grace = await openApp('Grace Hopper', 'light');
  await joinRoom(grace, 'random');
  await joinRoom(ada, 'random');
  await joinRoom(grace, 'design-review');
  await send(grace, 'Morning! Did the relay survive the kill -9 test overnight? 🙂');
  await joinRoom(ada, 'design-review');
  await send(ada, 'It did: every acked update was still there after the restart.');
  await send(grace, 'Nice. The spec is at https://example.com/parley/spec — can you check the receipts section?');
  await send(ada, 'On it. Receipts live in per-user arrays, so they stay small even after 10k read marks.');
  // Grace reacts to Ada's last message, then starts typing.
  await grace.evaluate(async () => {
    const el = document.querySelector('chat-app').shadowRoot.querySelector('chat-room');
    const c = el.activeConversation;
    const last = c.getState().messages.filter((m) => !m.mine).at(-1);
    c.react(last.id, '🎉');
  });
  // Messages in the other room, so the list shows an unread badge.
  await grace.evaluate(() => {
    location.hash = '#/room/random';
  });
  await appWait(grace, () => document.querySelector('chat-app').activeRoom === 'random');
  await appWait(grace, () => document.querySelector('chat-app').shadowRoot.querySelector('chat-room')?.status === 'synced');
  await send(grace, 'Lunch at 12:30?');
  await grace.evaluate(() => {
    location.hash = '#/room/design-review';
  });
  await appWait(grace, () => document.querySelector('chat-app').shadowRoot.querySelector('chat-room')?.status === 'synced');
  await grace.evaluate(() => {
    const input = document.querySelector('chat-app').shadowRoot.querySelector('chat-room').shadowRoot.querySelector('.input');
    input.value = 'Looks';
    input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
  });
  await appWait(ada, () => document.querySelector('chat-app').shadowRoot.querySelector('chat-room').shadowRoot.querySelector('.typing').textContent.includes('typing'));
  await appWait(ada, () => document.querySelector('chat-app').shadowRoot.querySelector('.badge'));
  await appWait(ada, () => document.querySelector('chat-app').shadowRoot.querySelector('chat-room').shadowRoot.querySelector('[part="reaction"]'));
  await sleepFrames(ada);
  await ada.screenshot({ path: join(docs, 'app-light.png') });
  await ada.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await sleepFrames(ada);
  await ada.screenshot({ path: join(docs, 'app-dark.png') });
  console.log('docs/app-light.png, docs/app-dark.png');

  // ---- mobile, 375 px wide: the room view alone, with ← back to the list ----
  // A mobile viewport reloads the page (puppeteer sets isMobile that way): wait until Grace sees Ada again.
  await grace.setViewport({ width: 375, height: 740, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await ada.bringToFront();
  await appWait(grace, () => {
    const room = document.querySelector('chat-app')?.shadowRoot?.querySelector('chat-room');
    return room?.status === 'synced' && room.shadowRoot.querySelectorAll('[part="presence"] .avatar').length >= 2;
  });
  await grace.bringToFront();
  await sleepFrames(grace);
  await grace.screenshot({ path: join(docs, 'app-mobile.png') });
  console.log('docs/app-mobile.png');

  // ---- the embed example ----
  const embedContext = await browser.createBrowserContext();
  const embed = await embedContext.newPage();
  await embed.setViewport({ width: 1040, height: 700 });
  await embed.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  await embed.goto(`${base}/examples/embed.html`);
  await embed.waitForFunction(() => [...document.querySelectorAll('chat-room')].every((el) => el.status === 'synced'), { timeout: 15_000 });
  const embedSend = async (id, text) => {
    await embed.evaluate(async (i, t) => {
      const el = document.getElementById(i);
      await el.activeConversation.send(t);
    }, id, text);
    await embed.waitForFunction((t) => [...document.querySelectorAll('chat-room')].every((el) => [...el.shadowRoot.querySelectorAll('.text')].some((n) => n.textContent === t)), { timeout: 15_000 }, text);
  };
  await embedSend('ada', 'Hi Grace! This box is a plain <chat-room> element.');
  await embedSend('grace', 'And mine is restyled with --parley-* properties and ::part(header).');
  await embedSend('ada', 'Links work too: https://example.com/docs');
  await sleepFrames(embed);
  await embed.screenshot({ path: join(docs, 'embed-light.png') });
  await embed.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await sleepFrames(embed);
  await embed.screenshot({ path: join(docs, 'embed-dark.png') });
  console.log('docs/embed-light.png, docs/embed-dark.png');

  // ---- offline: the relay goes down, the app reloads from the service worker and IndexedDB ----
  await ada.evaluate(() => navigator.serviceWorker.ready);
  await ada.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  await relay.close();
  relay = undefined;
  await ada.reload();
  await appWait(ada, () => {
    const room = document.querySelector('chat-app')?.shadowRoot?.querySelector('chat-room');
    return room && [...room.shadowRoot.querySelectorAll('.text')].some((n) => n.textContent.includes('per-user arrays'));
  });
  await appWait(ada, () => document.querySelector('chat-app').shadowRoot.querySelector('.offline'));
  await sleepFrames(ada);
  await ada.screenshot({ path: join(docs, 'app-offline.png') });
  console.log('offline reload: the app and its conversation opened with the relay down (docs/app-offline.png)');

  // Another page of the same origin, offline: the app's worker must not answer it with the app's index.html.
  const other = await ada.goto(`${base}/examples/embed.html`).then(
    () => ada.evaluate(() => document.querySelector('chat-app') !== null),
    () => false,
  );
  if (other) throw new Error('the service worker served the app for /examples/embed.html');
  console.log('offline /examples/embed.html: not answered by the app\'s service worker');
} finally {
  await browser.close();
  await relay?.close();
  await rm(dataDir, { recursive: true, force: true });
}
