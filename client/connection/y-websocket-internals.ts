// Every use of y-websocket 3.1.0's undocumented internals, in one place, checked at start so an upgrade that changed them fails loudly.
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Awareness } from 'y-protocols/awareness';
import { WebsocketProvider } from 'y-websocket';
import { MessageType } from '../../shared/protocol.js';

/*
 * What Parley relies on beyond y-websocket's documented options (checked by `checkProviderShape`):
 * - `messageHandlers[type]` with the signature (encoder, decoder, provider, emitSynced, messageType): a handler for
 *   Parley's durable ack (type 100) and a wrapper around the sync handler that reads the relay's sync step 1;
 * - `_awarenessUpdateHandler`, registered on the awareness: replaced so only this client's own state is sent;
 * - the `connection-close` event firing before the provider schedules its own zero-delay retry, which then finds
 *   `shouldConnect === false` (the provider's reconnect loop is neutralised: the close policy decides);
 * - `ws` (the socket in use, null when none) whose `onclose(null)` is the provider's own "drop this socket now"
 *   path (what its 30 s watchdog does), used to give up on a half-open socket without waiting for TCP;
 * - `bcChannel` (cross-tab channel name, scoped per user here) and `disableBc` (skip re-announcing the whole
 *   document to other tabs on every reconnect);
 * - `wsLastMessageReceived` (ms, for the heartbeat).
 */

/** y-websocket's internals no longer look like 3.1.0's: Parley's connection would misbehave silently. */
export class ProviderShapeError extends Error {
  override name = 'ProviderShapeError';
}

type Handler = (encoder: encoding.Encoder, decoder: decoding.Decoder, provider: WebsocketProvider, emitSynced: boolean, messageType: number) => void;
type AwarenessHandler = (changes: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => void;

interface ProviderInternals {
  messageHandlers: Handler[];
  _awarenessUpdateHandler: AwarenessHandler;
  shouldConnect: boolean;
  bcChannel: string;
  disableBc: boolean;
  ws: (WebSocket & { onclose: ((event: CloseEvent | null) => void) | null }) | null;
  wsLastMessageReceived: number;
  params: Record<string, string>;
}

/** Throws a `ProviderShapeError` naming every internal that is missing or has changed kind. */
export function checkProviderShape(provider: WebsocketProvider): void {
  const p = provider as unknown as Record<string, unknown>;
  const problems: string[] = [];
  const handlers = p.messageHandlers;
  if (!Array.isArray(handlers)) problems.push('messageHandlers is not an array');
  else {
    for (const type of [MessageType.sync, MessageType.awareness, MessageType.queryAwareness]) {
      if (typeof handlers[type] !== 'function' || (handlers[type] as Handler).length !== 5) problems.push(`messageHandlers[${type}] is not a 5-argument handler`);
    }
  }
  if (typeof p._awarenessUpdateHandler !== 'function') problems.push('_awarenessUpdateHandler is not a function');
  for (const name of ['shouldConnect', 'disableBc']) if (typeof p[name] !== 'boolean') problems.push(`${name} is not a boolean`);
  if (typeof p.bcChannel !== 'string') problems.push('bcChannel is not a string');
  if (typeof p.wsLastMessageReceived !== 'number') problems.push('wsLastMessageReceived is not a number');
  if (p.ws !== null) problems.push('ws is not null before connecting');
  if (typeof p.params !== 'object' || p.params === null) problems.push('params is not an object');
  if (problems.length > 0) {
    throw new ProviderShapeError(`y-websocket's internals changed (Parley is written against 3.1.0; see client/connection/y-websocket-internals.ts): ${problems.join('; ')}`);
  }
}

export interface RoomProviderOptions {
  /** `ws(s)://…/rooms` (the room name is appended by the provider). */
  roomsUrl: string;
  room: string;
  doc: Y.Doc;
  awareness: Awareness;
  /** Channel name for cross-tab sync of the document. */
  broadcastChannel: string;
  WebSocketPolyfill: typeof WebSocket;
  /** The relay acknowledged persistence (message type 100) up to this state vector. */
  onDurable: (stateVector: Map<number, number>) => void;
  /** The relay's sync step 1 on a new socket: its state vector when the socket opened. */
  onRelayStateVector: (stateVector: Map<number, number>) => void;
  /** A socket closed (`null`: dropped locally); the provider will not retry by itself. */
  onClose: (event: CloseEvent | null) => void;
  onOpen: () => void;
  onSynced: () => void;
}

/**
 * A WebsocketProvider for one room with Parley's patches applied: no own reconnect loop, own-awareness-only,
 * durable acks, the relay's step-1 state vector, and a handful of controls the connection needs.
 */
export class RoomProvider {
  readonly provider: WebsocketProvider;
  private readonly internals: ProviderInternals;
  private openedOnce = false;

  constructor(options: RoomProviderOptions) {
    this.provider = new WebsocketProvider(options.roomsUrl, options.room, options.doc, {
      connect: false,
      awareness: options.awareness,
      params: { acks: '1' },
      WebSocketPolyfill: options.WebSocketPolyfill,
      // The provider's own retry fires after 0 ms and finds shouldConnect already false.
      maxBackoffTime: 0,
      shouldReconnect: () => true,
    });
    checkProviderShape(this.provider);
    const internals = this.provider as unknown as ProviderInternals;
    this.internals = internals;
    internals.bcChannel = options.broadcastChannel;

    // The stock provider re-sends every awareness change it hears, other clients' included: the relay refuses
    // those (a connection may only publish its own client ids) and the traffic doubles.
    const stock = internals._awarenessUpdateHandler;
    options.awareness.off('update', stock);
    const ownOnly: AwarenessHandler = ({ added, updated, removed }, origin) => {
      const self = options.doc.clientID;
      if (added.includes(self) || updated.includes(self) || removed.includes(self)) stock({ added: [], updated: [self], removed: [] }, origin);
    };
    options.awareness.on('update', ownOnly);
    internals._awarenessUpdateHandler = ownOnly;

    internals.messageHandlers[MessageType.durableAck] = (_encoder, decoder) => {
      options.onDurable(Y.decodeStateVector(decoding.readVarUint8Array(decoder)));
    };
    const syncHandler = internals.messageHandlers[MessageType.sync]!;
    internals.messageHandlers[MessageType.sync] = (encoder, decoder, provider, emitSynced, messageType) => {
      const peek = decoding.createDecoder(decoder.arr.subarray(decoder.pos));
      // Only the socket's step 1 is the relay's (`emitSynced` is true for socket messages, false for the tabs'
      // channel): another tab announcing itself there sends its own state, which may hold writes the relay lacks.
      if (emitSynced && decoding.readVarUint(peek) === 0 /* sync step 1 */) options.onRelayStateVector(Y.decodeStateVector(decoding.readVarUint8Array(peek)));
      syncHandler(encoder, decoder, provider, emitSynced, messageType);
    };
    this.provider.on('connection-close', (event) => {
      // First: the provider's own retry is already scheduled and must find shouldConnect false.
      internals.shouldConnect = false;
      options.onClose(event);
    });
    this.provider.on('status', ({ status }) => {
      if (status === 'connected') options.onOpen();
    });
    this.provider.on('sync', (synced) => {
      if (synced) options.onSynced();
    });
  }

  /** Points the next connection at another relay (`ws(s)://…/rooms`); the current socket is left alone. */
  useRoomsUrl(roomsUrl: string): void {
    this.provider.serverUrl = roomsUrl;
  }

  /** Whether a socket exists (connecting or open). */
  get hasSocket(): boolean {
    return this.internals.ws !== null;
  }

  get isOpen(): boolean {
    return this.internals.ws?.readyState === WebSocket.OPEN;
  }

  /** When the last frame arrived on the current socket (ms since epoch). */
  get lastMessageAt(): number {
    return this.internals.wsLastMessageReceived;
  }

  /** Opens a socket with `token` in the query (the per-room endpoint's form, for stock clients). */
  open(token: string): void {
    this.internals.params = { ...this.internals.params, token };
    if (!this.openedOnce) {
      this.openedOnce = true;
      this.provider.connect();
      return;
    }
    // connect() also re-announces the whole document on the cross-tab channel: only needed once.
    this.internals.disableBc = true;
    this.provider.connect();
    this.internals.disableBc = false;
  }

  /** Closes the socket with a close frame (the close event follows when the relay answers). */
  closeSocket(code: number, reason: string): void {
    this.internals.ws?.close(code, reason);
  }

  /** Drops the socket at once, without waiting for a close handshake a half-open connection will never finish. */
  dropSocket(): void {
    const ws = this.internals.ws;
    if (ws?.onclose) ws.onclose(null);
  }

  /** Sends a query-awareness frame: the relay answers with every awareness state, which proves the socket alive. */
  sendHeartbeat(): void {
    const ws = this.internals.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MessageType.queryAwareness);
    ws.send(encoding.toUint8Array(encoder));
  }

  destroy(): void {
    this.provider.destroy();
  }
}
