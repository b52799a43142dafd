// The relay's membership endpoints from the browser: create conversations, invite links, accept them, join public channels.
import type { GetToken } from '../connection/connection-state.js';
import type { InviteRole, InviteStatus } from '../../shared/invites.js';
import type { RoomKind } from '../../shared/schema.js';
import type { RosterRole } from '../../shared/roster.js';

/** A refused membership request: the relay's error code (`invite-expired`, `direct-pair`, …) and message, or `network`. */
export class MembershipError extends Error {
  override name = 'MembershipError';
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message);
  }
}

export interface CreateConversationInput {
  kind: RoomKind;
  title?: string;
  /** User ids to add as members (a direct conversation: exactly the other user). */
  members?: string[];
  /** Channels only: any signed-in user may join from a link. */
  public?: boolean;
  /** A room name of your choosing (not for direct conversations); by default the relay picks one. */
  room?: string;
}

export interface InviteView {
  id: string;
  /** The link code: open `#/invite/<code>` in the app, or pass it to `acceptInvite`. */
  code: string;
  role: InviteRole;
  expiresAt: string;
  maxUses: number;
  uses: number;
  status: InviteStatus;
}

/** The HTTP side of membership, bound to a relay and a token source. */
export interface MembershipApi {
  /** Creates a conversation; the caller becomes its owner (a direct one: both are members). Resolves with its room name. */
  createConversation(input: CreateConversationInput): Promise<{ room: string; created: boolean }>;
  createInvite(room: string, options?: { role?: InviteRole; ttlSeconds?: number; maxUses?: number }): Promise<InviteView>;
  listInvites(room: string): Promise<InviteView[]>;
  revokeInvite(room: string, id: string): Promise<InviteView>;
  /** Joins the conversation an invite code names; resolves with the room and the role it gives. */
  acceptInvite(code: string): Promise<{ room: string; role: RosterRole; joined: boolean; kind: RoomKind; title: string }>;
  /** Joins a public channel as a member. */
  joinPublic(room: string): Promise<{ room: string; role: RosterRole; joined: boolean }>;
}

/** `http(s)://host:port` for a relay URL given as ws(s) or http(s). */
export function httpBase(relayUrl: string): string {
  const url = new URL(relayUrl);
  if (url.protocol === 'ws:') url.protocol = 'http:';
  else if (url.protocol === 'wss:') url.protocol = 'https:';
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Binds the membership endpoints to `relayUrl`; each request carries a token from `getToken` (room `~account`). */
export function membershipApi({ relayUrl, getToken }: { relayUrl: string; getToken: GetToken }): MembershipApi {
  const base = httpBase(relayUrl);
  const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const token = await getToken({ room: '~account', forceRefresh: false });
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new MembershipError('network', `the relay could not be reached: ${(error as Error).message}`, 0);
    }
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    if (!res.ok) throw new MembershipError(json.error?.code ?? 'http', json.error?.message ?? `HTTP ${res.status}`, res.status);
    return json as T;
  };
  const room = (name: string) => encodeURIComponent(name);
  return {
    createConversation: (input) => request('POST', '/conversations', input),
    createInvite: (name, options = {}) => request('POST', `/conversations/${room(name)}/invites`, options),
    listInvites: async (name) => (await request<{ invites: InviteView[] }>('GET', `/conversations/${room(name)}/invites`)).invites,
    revokeInvite: (name, id) => request('DELETE', `/conversations/${room(name)}/invites/${encodeURIComponent(id)}`),
    acceptInvite: (code) => request('POST', '/invites/accept', { code }),
    joinPublic: (name) => request('POST', `/conversations/${room(name)}/join`),
  };
}
