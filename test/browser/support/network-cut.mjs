// A TCP proxy in front of the test relay that can cut the network the way a real loss does: no close, no reset, silence.
import net from 'node:net';

/**
 * While `cut`, bytes in both directions are dropped and new connections hang unanswered, so sockets stay
 * "open" on both ends (half-open, as after a lost Wi-Fi or a sleeping laptop): only heartbeats or the browser's
 * offline signal can tell. When the cut ends, connections from before it are reset (their peer forgot them,
 * as a real network's NAT would) and new ones are proxied again.
 */
export async function startNetworkCut(targetPort) {
  let cut = false;
  /** Pairs alive across the cut, to be reset when it ends; and connections that arrived during it. */
  const pairs = new Set();
  const hanging = new Set();
  const server = net.createServer((client) => {
    client.on('error', () => undefined);
    if (cut) {
      hanging.add(client);
      client.on('close', () => hanging.delete(client));
      client.on('data', () => undefined);
      return;
    }
    const upstream = net.connect(targetPort(), '127.0.0.1');
    const pair = { client, upstream, stale: false };
    upstream.on('error', () => {
      if (!cut && !pair.stale) client.destroy();
    });
    pairs.add(pair);
    const forward = (from, to) => from.on('data', (chunk) => {
      if (!cut && !pair.stale) to.write(chunk);
    });
    forward(client, upstream);
    forward(upstream, client);
    // While cut, a closing relay must not be seen by the client: its FIN would be a signal a real loss never gives.
    upstream.on('close', () => {
      if (cut || pair.stale) return;
      pairs.delete(pair);
      client.end();
    });
    client.on('close', () => {
      pairs.delete(pair);
      upstream.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    setCut(value) {
      if (value === cut) return;
      cut = value;
      if (cut) {
        for (const pair of pairs) pair.stale = true;
        return;
      }
      for (const pair of [...pairs]) if (pair.stale) {
        pairs.delete(pair);
        pair.client.resetAndDestroy?.() ?? pair.client.destroy();
        pair.upstream.destroy();
      }
      for (const client of hanging) client.resetAndDestroy?.() ?? client.destroy();
      hanging.clear();
    },
    close: () => new Promise((resolve) => {
      for (const pair of pairs) { pair.client.destroy(); pair.upstream.destroy(); }
      for (const client of hanging) client.destroy();
      server.close(resolve);
    }),
  };
}
