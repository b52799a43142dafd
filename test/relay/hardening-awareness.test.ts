// Issue 11 item 9: an awareness state must carry the token's name and stay small; refusals are counted.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectProvider, frames, mintToken, rawClient, synced, useTestRelay, waitFor } from './helpers.js';

const { relay: relayRef } = { relay: useTestRelay() };

describe('awareness checks (issue 11, item 9)', () => {
  it('drops states whose user.name is not the token name, or that are larger than 4 KB, and counts them', async () => {
    const relay = relayRef.relay;
    const observer = connectProvider(relay, 'presence', await mintToken({ sub: 'olga', name: 'Olga' }), new Y.Doc());
    await synced(observer);
    const seen: unknown[] = [];
    observer.awareness.on('change', () => {
      for (const [id, state] of observer.awareness.getStates()) if (id !== observer.awareness.clientID) seen.push(state);
    });
    const mallory = rawClient(relay, 'presence', { token: await mintToken({ sub: 'mallory', name: 'Mallory' }) });
    await mallory.opened;
    // Impersonation: Mallory's token, Alice's name.
    mallory.send(frames.awareness([{ clientID: 4242, clock: 1, state: { user: { id: 'mallory', name: 'Alice' } } }]));
    // A huge state (a frame may be 1 MiB; a state may not be over 4 KB).
    mallory.send(frames.awareness([{ clientID: 4242, clock: 2, state: { user: { id: 'mallory', name: 'Mallory' }, blob: 'x'.repeat(900_000) } }]));
    // Then an honest one, which must get through.
    mallory.send(frames.awareness([{ clientID: 4242, clock: 3, state: { user: { id: 'mallory', name: 'Mallory' }, typing: true } }]));
    await waitFor(() => seen.some((s) => (s as { typing?: boolean }).typing === true), 10_000, 'honest state forwarded');
    expect(seen.some((s) => (s as { user: { name: string } }).user.name === 'Alice')).toBe(false);
    expect(seen.some((s) => 'blob' in (s as object))).toBe(false);
    expect(mallory.closed).toBeUndefined();
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toMatch(/parley_refusals_total\{reason="awareness-name"\} 1/);
    expect(metrics).toMatch(/parley_refusals_total\{reason="awareness-too-large"\} 1/);
    mallory.ws.close();
    observer.destroy();
  });

  it('takes the name from sub when the token has no name claim, as the client does', async () => {
    const relay = relayRef.relay;
    const observer = connectProvider(relay, 'presence-2', await mintToken({ sub: 'olga', name: 'Olga' }), new Y.Doc());
    await synced(observer);
    const anon = rawClient(relay, 'presence-2', { token: await mintToken({ sub: 'anon-7', extra: { name: undefined } }) });
    await anon.opened;
    anon.send(frames.awareness([{ clientID: 77, clock: 1, state: { user: { id: 'anon-7', name: 'anon-7' } } }]));
    await waitFor(() => observer.awareness.getStates().has(77), 10_000, 'state of a nameless token forwarded');
    anon.ws.close();
    observer.destroy();
  });
});
