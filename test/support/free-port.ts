// Finds a free TCP port on 127.0.0.1 (for servers that cannot be told to pick one and report it).
import { createServer } from 'node:net';

/** A port that was free a moment ago (the OS chose it). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
