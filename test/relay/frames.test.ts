// Truncated, random and mutated frames: the sender is closed (or harmlessly served), the relay and other rooms carry on.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  connectProvider,
  decodeServerFrame,
  exportDoc,
  frames,
  mintToken,
  rawClient,
  startTestRelay,
  synced,
  tempDir,
  waitFor,
} from './helpers.js';

/** A small seeded generator (mulberry32), so a failure can be replayed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

describe('bad frames', () => {
  it('neither crash the relay nor disturb other rooms, and leave storage loadable', async () => {
    const data = tempDir();
    let relay = await startTestRelay({ dataDir: data.dir, limits: { connectionsPerUser: 1000 } });
    const token = await mintToken({ sub: 'fuzzer' });

    // A bystander room with live clients.
    const a = connectProvider(relay, 'bystander', await mintToken({ sub: 'ada' }));
    const b = connectProvider(relay, 'bystander', await mintToken({ sub: 'bob' }));
    await Promise.all([synced(a), synced(b)]);

    const seed = new Y.Doc();
    seed.getArray('messages').push(['seed', { nested: [1, 2, 3] }]);
    seed.getMap('meta').set('title', 'fuzz');
    const valid = [
      frames.update(Y.encodeStateAsUpdate(seed)),
      frames.update(Y.encodeStateAsUpdate(seed), 1),
      frames.syncStep1(seed),
      frames.awareness([{ clientID: 7, clock: 1, state: { user: { id: 'fuzzer' } } }]),
    ];
    const next = random(42);
    const cases: Uint8Array[] = [new Uint8Array(0), new Uint8Array([0]), new Uint8Array([0, 9]), new Uint8Array([255, 255, 255, 255, 255, 255])];
    for (const frame of valid) for (let cut = 1; cut < frame.length; cut += Math.max(1, Math.floor(frame.length / 12))) cases.push(frame.subarray(0, cut));
    for (let i = 0; i < 40; i++) cases.push(Uint8Array.from({ length: 1 + Math.floor(next() * 64) }, () => Math.floor(next() * 256)));
    for (let i = 0; i < 40; i++) {
      const frame = Uint8Array.from(valid[i % valid.length]!);
      frame[Math.floor(next() * frame.length)] = Math.floor(next() * 256);
      cases.push(frame);
    }

    let closedAs4400 = 0;
    for (const frame of cases) {
      const client = rawClient(relay, 'fuzzed', { token });
      await client.opened;
      client.send(frame);
      client.send(frames.queryAwareness());
      // Either the relay closed us, or it answered the query after processing the frame.
      await waitFor(() => client.closed ?? client.frames.some((f) => decodeServerFrame(f).type === 'awareness'), 5000, 'frame handled');
      if (client.closed) {
        expect(client.closed.code).toBe(4400);
        closedAs4400++;
      } else {
        client.ws.close();
        await client.closedWith();
      }
    }
    expect(closedAs4400).toBeGreaterThan(cases.length / 2);
    expect((await fetch(`${relay.url}/healthz`)).status).toBe(200);

    // The bystanders still sync both ways.
    a.doc.getArray<string>('messages').push(['still here']);
    b.doc.getArray<string>('messages').push(['me too']);
    await waitFor(() => a.doc.getArray('messages').length === 2 && b.doc.getArray('messages').length === 2);

    // Whatever was accepted into the fuzzed room reloads after a restart.
    const before = Y.encodeStateVector(await exportDoc(relay, 'fuzzed'));
    a.destroy();
    b.destroy();
    await relay.close();
    relay = await startTestRelay({ dataDir: data.dir });
    expect(Y.encodeStateVector(await exportDoc(relay, 'fuzzed'))).toEqual(before);
    expect((await exportDoc(relay, 'bystander')).getArray('messages').length).toBe(2);
    await relay.close();
    data.cleanup();
  });
});
