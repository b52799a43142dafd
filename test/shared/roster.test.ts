// Roster rules: who may change whom, effective roles, direct room names, and randomized convergence of concurrent changes.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { RuleError } from '../../shared/errors.js';
import { directRoomName, effectiveRole, getRoster, ROSTER, type RosterEntry, type RosterRole } from '../../shared/roster.js';
import { leaveConversation, removeMember, roleIn, setMemberRole, type MemberActor } from '../../shared/membership.js';
import { seeded } from '../support/seeded.js';

/** A room whose roster the relay wrote: `entries` as user → role. */
function roomWith(entries: Record<string, RosterRole>, kind = 'group'): Y.Doc {
  const doc = new Y.Doc();
  doc.transact(() => {
    doc.getMap('meta').set('kind', kind);
    for (const [user, role] of Object.entries(entries)) doc.getMap<RosterEntry>(ROSTER).set(user, { role, by: '~relay', at: 1 });
  });
  return doc;
}

const refused = (code: string, write: () => void, doc: Y.Doc) => {
  const before = Y.encodeStateAsUpdate(doc);
  let error: unknown;
  try {
    write();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(RuleError);
  expect((error as RuleError).code).toBe(code);
  expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
};

const as = (userId: string): MemberActor => ({ userId });

describe('effective role', () => {
  it('is the higher of token grant and roster role; banned refuses whatever the token grants', () => {
    expect(effectiveRole(undefined, undefined)).toBeUndefined();
    expect(effectiveRole('write', undefined)).toBe('member');
    expect(effectiveRole('read', 'admin')).toBe('admin');
    expect(effectiveRole('admin', 'member')).toBe('admin');
    expect(effectiveRole(undefined, 'owner')).toBe('owner');
    expect(effectiveRole('admin', 'banned')).toBe('banned');
  });
});

describe('roster rules', () => {
  const doc = () => roomWith({ olga: 'owner', adam: 'admin', ann: 'admin', mia: 'member', rob: 'reader' });

  it('lets an owner do anything and an admin manage members and readers', () => {
    const d = doc();
    setMemberRole(d, as('olga'), 'adam', 'owner');
    setMemberRole(d, as('ann'), 'mia', 'reader');
    setMemberRole(d, as('ann'), 'new', 'member');
    setMemberRole(d, as('ann'), 'rob', 'banned');
    removeMember(d, as('ann'), 'rob');
    expect(Object.fromEntries([...getRoster(d)].map(([u, e]) => [u, e.role]))).toEqual({ olga: 'owner', adam: 'owner', ann: 'admin', mia: 'reader', new: 'member' });
  });

  it('refuses self-promotion, admins touching admins or making owners, members managing anyone', () => {
    const d = doc();
    refused('self-promotion', () => setMemberRole(d, as('mia'), 'mia', 'admin'), d);
    refused('not-member', () => setMemberRole(d, as('stranger'), 'stranger', 'member'), d);
    refused('not-roster-admin', () => setMemberRole(d, as('adam'), 'mia', 'owner'), d);
    refused('not-roster-admin', () => setMemberRole(d, as('adam'), 'mia', 'admin'), d);
    refused('not-roster-admin', () => removeMember(d, as('adam'), 'ann'), d);
    refused('not-roster-admin', () => setMemberRole(d, as('mia'), 'rob', 'banned'), d);
    refused('not-member', () => setMemberRole(d, as('stranger'), 'mia', 'banned'), d);
  });

  it('refuses the last owner leaving or stepping down; allows it after handing over', () => {
    const d = doc();
    refused('last-owner', () => leaveConversation(d, as('olga')), d);
    refused('last-owner', () => setMemberRole(d, as('olga'), 'olga', 'admin'), d);
    setMemberRole(d, as('olga'), 'adam', 'owner');
    leaveConversation(d, as('olga'));
    expect(getRoster(d).has('olga')).toBe(false);
  });

  it('lets anyone leave and lower their own role, but not ban themselves', () => {
    const d = doc();
    setMemberRole(d, as('ann'), 'ann', 'member');
    leaveConversation(d, as('mia'));
    refused('self-promotion', () => setMemberRole(d, as('rob'), 'rob', 'banned'), d);
    expect(roleIn(d, as('ann'))).toBe('member');
  });

  it('keeps a direct conversation’s two members fixed', () => {
    const d = roomWith({ a: 'member', b: 'member' }, 'direct');
    refused('direct-fixed', () => setMemberRole(d, as('a'), 'c', 'member'), d);
    refused('direct-fixed', () => leaveConversation(d, as('a')), d);
  });

  it('uses the token grant: a token admin manages members without a roster entry; a ban beats the grant', () => {
    const d = doc();
    setMemberRole(d, { userId: 'site-admin', grant: 'admin' }, 'mia', 'banned');
    refused('banned', () => setMemberRole(d, { userId: 'mia', grant: 'admin' }, 'rob', 'banned'), d);
  });
});

describe('direct room names', () => {
  it('are the same whoever starts, differ per pair, and refuse a pair of one', async () => {
    const ab = await directRoomName('alice', 'bob');
    expect(ab).toBe(await directRoomName('bob', 'alice'));
    expect(ab).toMatch(/^dm\.[0-9a-f]{32}$/);
    expect(ab).not.toBe(await directRoomName('alice', 'carol'));
    await expect(directRoomName('alice', 'alice')).rejects.toMatchObject({ code: 'direct-pair' });
  });
});

describe('randomized roster convergence', () => {
  /** Replicas of owners and admins change roles offline; updates arrive in random order; all converge to one roster. */
  function simulate(seed: number) {
    const random = seeded(seed);
    const users = ['olga', 'oscar', 'adam', 'ann', 'mia', 'max', 'rob'];
    const initial = roomWith({ olga: 'owner', oscar: 'owner', adam: 'admin', ann: 'admin', mia: 'member', max: 'member', rob: 'reader' });
    const actors = ['olga', 'oscar', 'adam', 'ann', 'mia'];
    const replicas = actors.map((user) => {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(initial));
      return { user, doc, online: true, inbox: [] as Uint8Array[] };
    });
    for (const replica of replicas) {
      replica.doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin === 'remote') return;
        for (const other of replicas) if (other !== replica) other.inbox.push(update);
      });
    }
    const roles: RosterRole[] = ['owner', 'admin', 'member', 'reader', 'banned'];
    let accepted = 0;
    for (let step = 0; step < 300; step++) {
      const replica = random.pick(replicas);
      const action = random.int(10);
      if (action < 5) {
        const target = random.pick(users);
        try {
          if (random.int(4) === 0) removeMember(replica.doc, as(replica.user), target);
          else setMemberRole(replica.doc, as(replica.user), target, random.pick(roles), 1000 + step);
          accepted++;
        } catch (error) {
          expect(error).toBeInstanceOf(RuleError);
        }
      } else if (action < 7) {
        replica.online = !replica.online;
      } else if (replica.online && replica.inbox.length > 0) {
        // Deliver a random subset, in random order.
        const n = 1 + random.int(replica.inbox.length);
        for (let i = 0; i < n; i++) {
          const [update] = replica.inbox.splice(random.int(replica.inbox.length), 1);
          Y.applyUpdate(replica.doc, update!, 'remote');
        }
      }
    }
    for (const replica of replicas) for (const update of replica.inbox.splice(0)) Y.applyUpdate(replica.doc, update, 'remote');
    const rosters = replicas.map((r) => JSON.stringify([...getRoster(r.doc)].sort(([a], [b]) => (a < b ? -1 : 1))));
    return { rosters, accepted };
  }

  it('converges to one roster on every replica for 20 seeds', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { rosters, accepted } = simulate(seed);
      expect(accepted, `seed ${seed} made changes`).toBeGreaterThan(0);
      expect(new Set(rosters).size, `seed ${seed}`).toBe(1);
    }
  });
});
