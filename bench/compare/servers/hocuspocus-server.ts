// Hocuspocus (@hocuspocus/server 4.x) as a benchmark child: default configuration, in memory, no auth hook.
import { readFileSync } from 'node:fs';
import { Server } from '@hocuspocus/server';
import { failStart, readChildConfig, serveParent } from './child-ipc.js';

const main = async () => {
  const config = readChildConfig();
  const seed = config.seed ? { room: config.seed.room, state: new Uint8Array(readFileSync(config.seed.file)) } : undefined;
  const server = new Server({
    port: 0,
    address: '127.0.0.1',
    quiet: true,
    stopOnSignals: false,
    // The seeded room loads from memory, the way a storage extension would hand it over.
    onLoadDocument: async ({ documentName }) => (seed && documentName === seed.room ? seed.state : null),
  });
  await server.listen();
  serveParent(server.address.port, () => server.destroy());
};

main().catch(failStart);
