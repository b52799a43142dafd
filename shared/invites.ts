// Invite links: the record the relay keeps per invite in the conversation document, and what makes one usable.
import type * as Y from 'yjs';
import { compareRoles, type RosterRole } from './roster.js';

/**
 * The top-level `Y.Map` `invites` of a conversation document: invite id → record, written only by the relay
 * (creation, each use, revocation), so uses and revocation travel and persist with the room and vanish with it.
 * The link itself carries only the room and invite id, signed by the relay (relay/membership/invite-codes.ts).
 */
export const INVITES = 'invites';

/** Roles an invite may give. */
export const INVITE_ROLES = ['reader', 'member', 'admin'] as const satisfies readonly RosterRole[];
export type InviteRole = (typeof INVITE_ROLES)[number];

export interface InviteRecord {
  role: InviteRole;
  /** ms since the epoch. */
  expiresAt: number;
  maxUses: number;
  uses: number;
  revoked?: true;
  /** Who created it, and when. */
  by: string;
  at: number;
}

/** Longest invite lifetime (30 days) and most uses of one invite. */
export const INVITE_LIMITS = { maxTtlSeconds: 30 * 24 * 3600, maxUses: 1000, perRoom: 100 } as const;

/** Why an invite cannot be used, or `usable`. */
export type InviteStatus = 'usable' | 'expired' | 'revoked' | 'used-up';

export function inviteStatus(record: InviteRecord, now = Date.now()): InviteStatus {
  if (record.revoked) return 'revoked';
  if (record.expiresAt <= now) return 'expired';
  if (record.uses >= record.maxUses) return 'used-up';
  return 'usable';
}

/** What an admin asks for: validated into a role, a lifetime and a use count, or an error message. */
export function parseInviteRequest(body: unknown): { role: InviteRole; ttlSeconds: number; maxUses: number } | { error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: 'body must be a JSON object' };
  const { role = 'member', ttlSeconds = 7 * 24 * 3600, maxUses = 1, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) return { error: `unknown field: ${unknown[0]}` };
  if (!(INVITE_ROLES as readonly unknown[]).includes(role)) return { error: `role must be one of ${INVITE_ROLES.join(', ')}` };
  if (!Number.isSafeInteger(ttlSeconds) || (ttlSeconds as number) < 1 || (ttlSeconds as number) > INVITE_LIMITS.maxTtlSeconds) {
    return { error: `ttlSeconds must be an integer between 1 and ${INVITE_LIMITS.maxTtlSeconds}` };
  }
  if (!Number.isSafeInteger(maxUses) || (maxUses as number) < 1 || (maxUses as number) > INVITE_LIMITS.maxUses) {
    return { error: `maxUses must be an integer between 1 and ${INVITE_LIMITS.maxUses}` };
  }
  return { role: role as InviteRole, ttlSeconds: ttlSeconds as number, maxUses: maxUses as number };
}

/** Whether a member of `role` may create an invite giving `invited`: admins invite below admin, owners anyone but owners. */
export const mayInvite = (role: RosterRole | undefined, invited: InviteRole): boolean =>
  role === 'owner' || (role === 'admin' && compareRoles(invited, 'admin') < 0);

/** The room's invites by id. */
export function getInvites(doc: Y.Doc): Map<string, InviteRecord> {
  const out = new Map<string, InviteRecord>();
  if (!doc.share.has(INVITES)) return out;
  for (const [id, record] of doc.getMap<InviteRecord>(INVITES).entries()) {
    if (typeof record === 'object' && record !== null) out.set(id, record);
  }
  return out;
}
