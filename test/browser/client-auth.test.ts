// Tokens and refusals: refresh before expiry and after 4401, no retry loop after 4403, and bad inputs.
import { expect } from '@esm-bundle/chai';
import { ClientError, openConversation, RuleError, TokenRefusedError } from '../../client/index.js';
import { closeAll, deleteRoom, mintToken, open, relayInfo, texts, uniqueRoom, uniqueUser, until, waitFor } from './support/helpers.js';

describe('client: auth and connection', () => {
  afterEach(closeAll);

  it('refreshes a token that expires mid-session with nothing lost', async () => {
    const room = uniqueRoom('refresh');
    const adaUser = uniqueUser('Ada');
    const requests: boolean[] = [];
    const ada = await open(room, adaUser, {
      getToken: ({ forceRefresh }) => {
        requests.push(forceRefresh);
        return mintToken({ sub: adaUser.id, rooms: { [room]: 'write' }, ttlSeconds: 3 });
      },
    });
    const bob = await open(room, uniqueUser('Bob'));
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await until(bob, (s) => s.connection.synced, 'bob synced');
    const sent: string[] = [];
    // Keep writing across at least two token lifetimes.
    const until7s = Date.now() + 7_000;
    while (Date.now() < until7s) {
      const text = `m${sent.length}`;
      await ada.send(text);
      sent.push(text);
      await new Promise((r) => setTimeout(r, 150));
    }
    await until(bob, () => texts(bob).length === sent.length, 'bob has them all', 15_000);
    expect(texts(bob)).to.deep.equal(sent);
    await until(ada, (s) => s.messages.every((m) => m.status !== 'sending' && !m.queued), 'all durable', 15_000);
    expect(requests.length).to.be.greaterThan(2);
    expect(requests.slice(1).every(Boolean)).to.equal(true);
    expect(ada.getState().connection.status).to.equal('connected');
  });

  it('fetches a fresh token after a 4401 and connects', async () => {
    const room = uniqueRoom('expired');
    const user = uniqueUser('Ada');
    const requests: boolean[] = [];
    const ada = await open(room, user, {
      getToken: ({ forceRefresh }) => {
        requests.push(forceRefresh);
        // The first token is already expired: the relay closes with 4401.
        return mintToken({ sub: user.id, rooms: { [room]: 'write' }, ttlSeconds: requests.length === 1 ? -3600 : 3600 });
      },
    });
    await until(ada, (s) => s.connection.synced, 'synced with the second token');
    expect(requests[0]).to.equal(false);
    expect(requests[1]).to.equal(true);
  });

  it('reports a refusal by the identity provider (TokenRefusedError) as auth-expired and recovers when tokens come back', async () => {
    const room = uniqueRoom('gettoken');
    const user = uniqueUser('Ada');
    let refusing = true;
    const ada = await open(room, user, {
      getToken: async () => {
        if (refusing) throw new TokenRefusedError('session ended at the identity provider');
        return mintToken({ sub: user.id, rooms: { [room]: 'write' } });
      },
    });
    await until(ada, (s) => s.connection.status === 'auth-expired', 'auth-expired after the refusal');
    expect(ada.getState().connection.reason).to.contain('session ended at the identity provider');
    const queued = await ada.send('written before any token');
    expect(queued.status).to.equal('sending');
    refusing = false;
    ada.reconnect();
    await until(ada, (s) => s.connection.synced && s.messages[0]?.status === 'sent', 'synced and sent');
  });

  it('reports a getToken that fails for lack of network as offline, not auth-expired (issue 14 bug 2)', async () => {
    const room = uniqueRoom('gettoken-net');
    const user = uniqueUser('Ada');
    let failing = true;
    const seen = new Set<string>();
    const ada = await open(room, user, {
      getToken: async () => {
        // What fetch() does when the login server cannot be reached.
        if (failing) throw new TypeError('Failed to fetch');
        return mintToken({ sub: user.id, rooms: { [room]: 'write' } });
      },
    });
    ada.subscribe((s) => seen.add(s.connection.status));
    await until(ada, (s) => s.connection.status === 'offline' && s.connection.attempt >= 2, 'offline after two failed token fetches');
    expect(ada.getState().connection.reason).to.contain('Failed to fetch');
    expect([...seen]).not.to.include('auth-expired');
    failing = false;
    await until(ada, (s) => s.connection.synced, 'synced once tokens come back, without reconnect()');
    expect([...seen]).not.to.include('auth-expired');
  });

  it('stops after a 4403, reports it, and fails pending messages', async () => {
    const room = uniqueRoom('forbidden');
    const user = uniqueUser('Eve');
    let calls = 0;
    const eve = await open(room, user, {
      getToken: () => {
        calls++;
        return mintToken({ sub: user.id, rooms: { 'some-other-room': 'write' } });
      },
    });
    await until(eve, (s) => s.connection.status === 'forbidden', 'forbidden');
    const { connection } = eve.getState();
    expect(connection.code).to.equal(4403);
    expect(connection.reason).to.be.a('string').and.not.equal('');
    expect(connection.retryAt).to.equal(undefined);
    const failed = await eve.send('nobody will see this');
    expect(failed.status).to.equal('failed');
    expect(failed.error).to.be.a('string');
    const opens = eve.stats.opens;
    // A negative claim needs some time: longer than the test backoff's maximum (1 s), and nothing happens.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(eve.stats.opens).to.equal(opens);
    expect(calls).to.equal(1);
    eve.reconnect(); // final: ignored
    expect(eve.getState().connection.status).to.equal('forbidden');
  });

  it('stops when the room is deleted (4404)', async () => {
    const room = uniqueRoom('deleted');
    const ada = await open(room, uniqueUser('Ada'));
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await ada.send('soon gone');
    await until(ada, (s) => s.messages[0]?.status === 'sent', 'the message is sent');
    expect(await deleteRoom(room)).to.be.within(200, 299);
    await until(ada, (s) => s.connection.status === 'deleted', 'deleted');
    expect(ada.getState().connection.code).to.equal(4404);
    expect(ada.getState().connection.retryAt).to.equal(undefined);
    // What this device had stays readable.
    expect(texts(ada)).to.deep.equal(['soon gone']);
  });

  it('refuses a token for another user without connecting', async () => {
    const room = uniqueRoom('mismatch');
    const ada = await open(room, uniqueUser('Ada'), { getToken: () => mintToken({ sub: 'somebody-else', rooms: { [room]: 'write' } }) });
    await until(ada, (s) => s.connection.status === 'forbidden', 'forbidden (token for another user)');
    expect(ada.getState().connection.reason).to.contain('somebody-else');
    expect(ada.stats.opens).to.equal(0);
  });

  it('refuses writes for a read-only member locally, and still shows the room', async () => {
    const room = uniqueRoom('readonly');
    const ada = await open(room, uniqueUser('Ada'));
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await ada.send('for readers');
    const reader = await open(room, uniqueUser('Rita'), { role: 'read' });
    await until(reader, (s) => s.connection.synced && s.role === 'read' && texts(reader).includes('for readers'), 'reader synced with the message');
    let error: unknown;
    try {
      await reader.send('may I?');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(RuleError);
    expect((error as RuleError).code).to.equal('read-only');
    expect(reader.markRead()).to.equal(false);
    expect(reader.getState().connection.status).to.equal('connected');
  });

  it('rejects bad inputs with clear errors', async () => {
    const { url } = await relayInfo();
    const user = uniqueUser('Ada');
    const getToken = () => mintToken({ sub: user.id, rooms: { '*': 'write' } });
    const attempt = (options: Record<string, unknown>): unknown => {
      try {
        openConversation({ relayUrl: url, room: 'fine', user, getToken, ...options } as never);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    for (const [options, code] of [
      [{ room: '../etc' }, 'bad-room'],
      [{ room: '' }, 'bad-room'],
      [{ room: 'a'.repeat(129) }, 'bad-room'],
      [{ room: 'with space' }, 'bad-room'],
      [{ relayUrl: 'not a url' }, 'bad-relay-url'],
      [{ relayUrl: 'ftp://127.0.0.1:1' }, 'bad-relay-url'],
      [{ relayUrl: `${url}?token=x` }, 'bad-relay-url'],
      [{ user: { id: '', name: 'x' } }, 'bad-user'],
      [{ user: undefined }, 'bad-user'],
      [{ getToken: 'token' }, 'bad-token'],
    ] as const) {
      const error = attempt(options);
      expect(error, JSON.stringify(options)).to.be.instanceOf(ClientError);
      expect((error as ClientError).code, JSON.stringify(options)).to.equal(code);
    }
    const room = uniqueRoom('inputs');
    const ada = await open(room, user);
    await until(ada, (s) => s.connection.synced, 'ada synced');
    const refusals: Array<[() => Promise<unknown> | unknown, string]> = [
      [() => ada.send(''), 'text-empty'],
      [() => ada.send('x'.repeat(9000)), 'text-too-long'],
      [() => ada.send(42 as never), 'text-not-string'],
      [() => ada.reply('nonexistent-id-123', 'hi'), 'bad-reply'],
      [() => ada.edit('nonexistent-id-123', 'hi'), 'unknown-message'],
      [() => ada.react('nonexistent-id-123', '👍'), 'unknown-message'],
      [() => ada.markRead('nonexistent-id-123'), 'unknown-message'],
      [() => ada.setMeta({ title: 'not an admin' }), 'not-admin'],
    ];
    for (const [run, code] of refusals) {
      let error: unknown;
      try {
        await run();
      } catch (e) {
        error = e;
      }
      expect(error, code).to.be.instanceOf(RuleError);
      expect((error as RuleError).code).to.equal(code);
    }
    expect(ada.getState().messages).to.have.length(0);
    expect(ada.getState().connection.status).to.equal('connected');
    await ada.close();
    let closedError: unknown;
    try {
      await ada.send('after close');
    } catch (e) {
      closedError = e;
    }
    expect((closedError as ClientError).code).to.equal('closed');
  });

  it('keeps retrying an unreachable relay with growing, jittered delays', async () => {
    const room = uniqueRoom('unreachable');
    const ada = await open(room, uniqueUser('Ada'), { relayUrl: 'ws://127.0.0.1:9', backoff: { baseMs: 50, maxMs: 400 } });
    await until(ada, (s) => s.connection.attempt >= 4, 'several attempts');
    expect(ada.getState().connection.status).to.be.oneOf(['offline', 'connecting']);
    await ada.send('still works locally');
    expect(texts(ada)).to.deep.equal(['still works locally']);
    await waitFor(() => ada.getState().connection.attempt >= 5, { what: 'a fifth attempt' });
  });
});
