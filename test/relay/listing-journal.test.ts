// The journal of pending conversation listings against a real relay: no account document on disk at a first connect, applied on load, crash-safe.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CONVERSATIONS, RELAY_STATE, listConversations } from '../../shared/account.js';
import { accountRoomNameNow } from '../../relay/membership/account-room-name.js';
import { roomDir } from '../../relay/room-paths.js';
import { SECRET, connectProvider, mintToken, startTestRelay, synced, tempDir, useTestRelay, waitFor } from './helpers.js';
import type { RunningRelay } from '../../relay/index.js';
import { call, closeOf, create, userToken } from './membership-helpers.js';
import { muxClient } from './mux-client.js';

const ctx = useTestRelay({ membership: { creation: 'open' } });

/** Opens `room` per room as `user` (token granting `rooms`) and waits until synced. */
async function open(user: string, room: string, rooms: Record<string, 'read' | 'write' | 'admin'> = {}) {
  const provider = connectProvider(ctx.relay, room, await userToken(user, rooms));
  const closed = closeOf(provider);
  await Promise.race([synced(provider), closed.then((c) => Promise.reject(new Error(`closed ${c.code} ${c.reason}`)))]);
  return { provider, doc: provider.doc };
}

/** Whether `user`'s account document has a directory on disk. */
const accountOnDisk = (user: string): boolean => existsSync(roomDir(join(ctx.dataDir, 'rooms'), accountRoomNameNow(user)));
const journalPath = () => join(ctx.dataDir, 'listing-journal');
const journalText = () => readFileSync(journalPath()).toString('latin1');

/** Connects `user` to `room` through a token grant (their first connection lists it), then disconnects. */
async function firstConnect(user: string, room: string): Promise<void> {
  const { provider } = await open(user, room, { [room]: 'write' });
  // The listing is journaled once its append is durable; the journal is the only file it touches.
  await waitFor(() => journalText().includes(`"r":"${room}"`) && journalText().includes(accountRoomNameNow(user)), 5000, `${room} journaled for ${user}`);
  provider.destroy();
}

/** Opens the user's account document per room and returns it with its conversation rooms. */
async function account(user: string) {
  const opened = await open(user, '~account');
  return { ...opened, rooms: () => listConversations(opened.doc).map((c) => c.room).sort() };
}

describe('pending conversation listings', () => {
  it('list a first connection without creating the account document on disk; it shows on /sync and per room', async () => {
    await firstConnect('jo', 'lj-a');
    await firstConnect('jo', 'lj-b');
    expect(accountOnDisk('jo')).toBe(false);
    // Over /sync: the attach loads the account document, which applies the pending listings first.
    const mux = muxClient(ctx.relay, await userToken('jo'));
    await mux.opened;
    const attached = mux.attach('~account');
    await waitFor(() => attached.synced || mux.refused.length > 0 || mux.closed, 5000, '~account synced over /sync');
    expect(mux.refused).toEqual([]);
    expect(listConversations(attached.doc).map((c) => [c.room, c.role]).sort()).toEqual([['lj-a', 'member'], ['lj-b', 'member']].sort());
    expect(accountOnDisk('jo')).toBe(true);
    // The relay's bookkeeping rides along; the conversation list holds conversations only.
    expect(attached.doc.getMap(RELAY_STATE).get('listings')).toMatchObject({ seq: expect.any(Number) });
    expect([...attached.doc.getMap(CONVERSATIONS).keys()].sort()).toEqual(['lj-a', 'lj-b']);
    mux.ws.close();
    const again = await account('jo');
    expect(again.rooms()).toEqual(['lj-a', 'lj-b']);
    again.provider.destroy();
  });

  it('write a loaded account document directly, live', async () => {
    const acc = await account('kim');
    const { provider } = await open('kim', 'lj-live', { 'lj-live': 'write' });
    await waitFor(() => acc.rooms().includes('lj-live'), 5000, 'lj-live listed live');
    expect(journalText()).not.toContain('"r":"lj-live"');
    provider.destroy();
    acc.provider.destroy();
  });

  it('refuse a client write to the relay-only map', async () => {
    const acc = await account('lee');
    const closed = closeOf(acc.provider);
    acc.doc.getMap(RELAY_STATE).set('listings', { journal: '0000000000000000', seq: 1e12 });
    expect(await closed).toEqual({ code: 4403, reason: 'write refused: relay-only' });
    acc.provider.destroy();
  });

  it('keep pending listings across a restart before the account document was ever loaded', async () => {
    await firstConnect('max', 'lj-restart');
    await ctx.restart();
    expect(accountOnDisk('max')).toBe(false);
    const acc = await account('max');
    expect(acc.rooms()).toEqual(['lj-restart']);
    acc.provider.destroy();
  });

  it('do not bring back a listing removed after it was applied when the journal still holds it (restart)', async () => {
    const owner = await userToken('nia');
    const room = await create(ctx.relay, owner, { kind: 'group', title: 'Gone soon' });
    await waitFor(() => journalText().includes(`"r":"${room}"`), 5000, 'the creator’s listing journaled');
    const acc = await account('nia');
    expect(acc.rooms()).toEqual([room]);
    // Deleted while the account document is loaded: removed directly, the journal keeps its applied record.
    const admin = await mintToken({ sub: 'ops', rooms: { '*': 'admin' } });
    expect((await call(ctx.relay, admin, 'DELETE', `/rooms/${room}`)).status).toBe(200);
    await waitFor(() => acc.rooms().length === 0, 5000, 'the deleted room unlisted');
    acc.provider.destroy();
    await ctx.restart();
    expect(journalText()).toContain(`"r":"${room}"`);
    const after = await account('nia');
    expect(after.rooms()).toEqual([]);
    after.provider.destroy();
  });

  it('take a deleted room off a pending listing', async () => {
    const owner = await userToken('ole');
    const room = await create(ctx.relay, owner, { kind: 'group', title: 'Short-lived' });
    await waitFor(() => journalText().includes(`"r":"${room}"`), 5000, 'the creator’s listing journaled');
    const admin = await mintToken({ sub: 'ops', rooms: { '*': 'admin' } });
    expect((await call(ctx.relay, admin, 'DELETE', `/rooms/${room}`)).status).toBe(200);
    expect(accountOnDisk('ole')).toBe(false);
    const acc = await account('ole');
    expect(acc.rooms()).toEqual([]);
    acc.provider.destroy();
  });

  it('forget the pending listings of a deleted account document, also after a restart', async () => {
    await firstConnect('una', 'lj-forgotten');
    const admin = await mintToken({ sub: 'ops', rooms: { '*': 'admin' } });
    expect((await call(ctx.relay, admin, 'DELETE', `/rooms/${accountRoomNameNow('una')}`)).status).toBe(200);
    await ctx.restart();
    const acc = await account('una');
    expect(acc.rooms()).toEqual([]);
    acc.provider.destroy();
  });

  it('read zero padding a crash left after the last record as the journal’s end', async () => {
    await firstConnect('pad', 'lj-pad');
    await ctx.stop();
    appendFileSync(journalPath(), Buffer.alloc(16 * 1024));
    const lines: string[] = [];
    await ctx.restart({ logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }) });
    expect(lines).toEqual([]);
    // New records go where the old ones end, and the file is read back whole after another restart.
    await firstConnect('pad2', 'lj-pad-2');
    await ctx.restart({ logger: undefined });
    for (const [user, room] of [['pad', 'lj-pad'], ['pad2', 'lj-pad-2']] as const) {
      const acc = await account(user);
      expect(acc.rooms()).toEqual([room]);
      acc.provider.destroy();
    }
  });

  it('ignore a torn journal tail with a warning, keeping the records before it', async () => {
    await firstConnect('pia', 'lj-torn');
    await ctx.stop();
    // A crash mid-write: a record header promising more bytes than follow.
    appendFileSync(journalPath(), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 123, 34]));
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    await ctx.restart({ logger });
    expect(lines.some((line) => line.includes('torn record'))).toBe(true);
    const acc = await account('pia');
    expect(acc.rooms()).toEqual(['lj-torn']);
    acc.provider.destroy();
    // Appends continue after the cut: a new listing (of a user whose account is not loaded) survives another restart.
    await firstConnect('pio', 'lj-torn-2');
    await ctx.restart({ logger: undefined });
    const again = await account('pio');
    expect(again.rooms()).toEqual(['lj-torn-2']);
    again.provider.destroy();
  });

  it('move a journal damaged before its end aside with an error, and start a new one', async () => {
    await firstConnect('raf', 'lj-dmg-1');
    await firstConnect('rex', 'lj-dmg-2');
    await ctx.stop();
    // Flip a byte inside the first listing record (after the magic and the header record): valid records follow it.
    const bytes = readFileSync(journalPath());
    const first = 8 + 8 + bytes.readUInt32LE(8);
    bytes[first + 8 + 2]! ^= 0xff;
    writeFileSync(journalPath(), bytes);
    const lines: string[] = [];
    await ctx.restart({ logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }) });
    expect(lines.some((line) => line.includes('"level":50') && line.includes('listing journal is damaged'))).toBe(true);
    expect(existsSync(join(ctx.dataDir, 'listing-journal.damaged'))).toBe(true);
    expect(journalText()).not.toContain('lj-dmg');
    await firstConnect('sam', 'lj-dmg-3');
    const acc = await account('sam');
    expect(acc.rooms()).toEqual(['lj-dmg-3']);
    acc.provider.destroy();
    await ctx.restart({ logger: undefined });
  });
});

/** A relay of its own with journal tuning, and helpers bound to it. */
const tuned = (pendingListings: { maxPending?: number; compactMinRecords?: number }) => {
  const relay = useTestRelay({ membership: { creation: 'open', pendingListings } });
  return {
    relay,
    journal: () => readFileSync(join(relay.dataDir, 'listing-journal'), 'latin1'),
    onDisk: (user: string) => existsSync(roomDir(join(relay.dataDir, 'rooms'), accountRoomNameNow(user))),
    async connect(user: string, room: string) {
      const provider = connectProvider(relay.relay, room, await userToken(user, { [room]: 'write' }));
      await synced(provider);
      return provider;
    },
    async listed(user: string): Promise<string[]> {
      const provider = connectProvider(relay.relay, '~account', await userToken(user));
      await synced(provider);
      const rooms = listConversations(provider.doc).map((c) => c.room).sort();
      provider.destroy();
      return rooms;
    },
  };
};

describe('pending conversation listings, options', () => {
  it('refuse a tuning that is not a positive integer, naming it', async () => {
    const data = tempDir();
    try {
      await expect(startTestRelay({ dataDir: data.dir, membership: { pendingListings: { maxPending: 0 } } })).rejects.toThrow(
        'membership.pendingListings.maxPending must be a positive integer (got 0)',
      );
      await expect(startTestRelay({ dataDir: data.dir, membership: { pendingListings: { commitIntervalMs: 1.5 } } })).rejects.toThrow(
        'membership.pendingListings.commitIntervalMs must be a positive integer (got 1.5)',
      );
    } finally {
      data.cleanup();
    }
  });
});

describe('pending conversation listings, bounded', () => {
  const t = tuned({ maxPending: 2 });

  it('write directly past the cap on pending records, and list everything either way', async () => {
    const providers = [await t.connect('q1', 'cap-1'), await t.connect('q2', 'cap-2')];
    await waitFor(() => t.journal().includes('"r":"cap-2"') && t.journal().includes('"r":"cap-1"'), 5000, 'two listings journaled');
    providers.push(await t.connect('q3', 'cap-3'));
    // The third found the journal full: its account document was written directly, so it exists on disk.
    await waitFor(() => t.onDisk('q3'), 5000, 'q3’s account document written directly');
    expect(t.journal()).not.toContain('"r":"cap-3"');
    expect(t.onDisk('q1') || t.onDisk('q2')).toBe(false);
    for (const p of providers) p.destroy();
    expect(await t.listed('q1')).toEqual(['cap-1']);
    expect(await t.listed('q2')).toEqual(['cap-2']);
    expect(await t.listed('q3')).toEqual(['cap-3']);
  });
});

describe('pending conversation listings, compaction', () => {
  const t = tuned({ compactMinRecords: 4 });

  it('rewrite the journal once most of it is applied, keeping what is pending, across a restart', async () => {
    const providers = [];
    for (const [user, room] of [['r1', 'cmp-1'], ['r1', 'cmp-2'], ['r2', 'cmp-3']] as const) {
      providers.push(await t.connect(user, room));
      await waitFor(() => t.journal().includes(`"r":"${room}"`), 5000, `${room} journaled`);
    }
    // r1's two records are applied when r1's account document loads: then the file holds more garbage than not.
    expect(await t.listed('r1')).toEqual(['cmp-1', 'cmp-2']);
    providers.push(await t.connect('r3', 'cmp-4'));
    await waitFor(() => !t.journal().includes('"r":"cmp-1"'), 10_000, 'the journal rewritten without the applied records');
    expect(t.journal()).toContain('"r":"cmp-3"');
    for (const p of providers) p.destroy();
    await t.relay.restart();
    expect(await t.listed('r2')).toEqual(['cmp-3']);
    expect(await t.listed('r3')).toEqual(['cmp-4']);
    expect(await t.listed('r1')).toEqual(['cmp-1', 'cmp-2']);
  });
});

/**
 * A relay child process on `dataDir` (the parent's test relay stopped meanwhile), optionally with a limit on the
 * size of any file it writes (`ulimit -f`: writes past it fail with EFBIG, as on a full disk; Node ignores SIGXFSZ).
 */
const childRelay = async (dataDir: string, fileLimitKiB?: number) => {
  const args = ['--import', 'tsx', 'relay/main.ts', '--port', '0', '--data-dir', dataDir, '--jwt-secret', SECRET, '--log-level', 'info'];
  const child = fileLimitKiB === undefined
    ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    // tsx's cache is kept out of it: it writes files too.
    : spawn('bash', ['-c', `ulimit -f ${fileLimitKiB} && exec "$0" "$@"`, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TSX_DISABLE_CACHE: '1' } });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const url: string = await waitFor(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1] ?? '', 15_000, 'relay start');
    return {
      relay: { url, port: Number(new URL(url).port), devMode: false, close: async () => {} } as RunningRelay,
      output: () => out,
      /** Stops it with `signal` and waits for the exit. */
      async stop(signal: NodeJS.Signals) {
        child.kill(signal);
        await exited;
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
};

describe('pending conversation listings, SIGKILL', () => {
  const t = tuned({});

  it('keep a journaled listing when the relay process is killed before it closed the journal (padding left behind)', async () => {
    // The killed relay is a child process on this block's data directory; the test relay reads it back after.
    await t.relay.stop();
    const child = await childRelay(t.relay.dataDir);
    try {
      const provider = connectProvider(child.relay, 'lj-kill', await userToken('kim', { 'lj-kill': 'write' }));
      await synced(provider);
      // Durable once in the file (O_DSYNC appends); the journal is still open, its padding not cut.
      await waitFor(() => t.journal().includes('"r":"lj-kill"'), 5000, 'lj-kill journaled');
      await child.stop('SIGKILL');
      provider.destroy();
    } finally {
      await child.stop('SIGKILL');
    }
    // Nothing of the account document was written before the kill; the restarted relay applies the journal.
    expect(t.onDisk('kim')).toBe(false);
    expect(readFileSync(join(t.relay.dataDir, 'listing-journal')).length % 4096).toBe(0);
    await t.relay.restart();
    expect(await t.listed('kim')).toEqual(['lj-kill']);
    expect(t.onDisk('kim')).toBe(true);
  });
});

describe('pending conversation listings, a failing disk', () => {
  const t = tuned({});

  it('list directly when an append to the journal fails, losing no listing', async () => {
    await t.relay.stop();
    // 28 KiB per file: a room's or account's first padded log (20 KiB) fits, the journal's second growth (> 40 KiB)
    // does not, so its append fails with EFBIG once its records pass 20 KiB.
    const child = await childRelay(t.relay.dataDir, 28);
    const failed = () => child.output().includes('appending to the listing journal failed');
    const users: string[] = [];
    try {
      // Long room names make big records: about 80 first connections fill 20 KiB.
      for (let i = 0; i < 300 && (users.length === 0 || !failed() || users.length % 10 !== 0); i++) {
        const user = `disk-${i}`;
        const room = `lj-disk-${i}-${'x'.repeat(110)}`;
        const provider = connectProvider(child.relay, room, await userToken(user, { [room]: 'write' }));
        await synced(provider);
        users.push(user);
        provider.destroy();
      }
      expect(failed()).toBe(true);
      // Every user's list holds their room: journaled ones applied on load, the failed batch's written directly.
      for (const [i, user] of users.entries()) {
        const provider = connectProvider(child.relay, '~account', await userToken(user));
        await synced(provider);
        await waitFor(() => listConversations(provider.doc).length > 0, 10_000, `${user}'s listing`);
        expect(listConversations(provider.doc).map((c) => c.room)).toEqual([`lj-disk-${i}-${'x'.repeat(110)}`]);
        provider.destroy();
      }
      // The relay kept serving: no crash, only the journal gave up.
      expect(child.output()).not.toMatch(/uncaught|unhandled/i);
    } finally {
      await child.stop('SIGTERM');
    }
  }, 120_000);
});
