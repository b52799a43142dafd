// The reference y-websocket server (y-websocket@1.5.4 bin/utils setupWSConnection) on a `ws` server, as a benchmark child.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type * as Yjs from 'yjs';
import { failStart, readChildConfig, serveParent } from './child-ipc.js';

// bin/utils is CommonJS and requires yjs' CommonJS build: use the same instance to seed, not a second one.
const require = createRequire(import.meta.url);
const utils = require('y-websocket-v1/bin/utils') as {
  setupWSConnection: (conn: unknown, req: unknown, options: { docName: string }) => void;
  getYDoc: (name: string) => Yjs.Doc;
};
const Y = require('yjs') as typeof Yjs;

const main = async () => {
  const config = readChildConfig();
  if (config.seed) Y.applyUpdate(utils.getYDoc(config.seed.room), new Uint8Array(readFileSync(config.seed.file)));
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', (conn, req) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    utils.setupWSConnection(conn, req, { docName: path.replace(/^\/rooms\//, '') });
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  serveParent((wss.address() as AddressInfo).port, async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
};

main().catch(failStart);
