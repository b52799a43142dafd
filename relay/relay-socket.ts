// The relay's WebSocket class: ws's own, plus a link to the connection it serves and Parley's 4413 for oversized frames.
import { WebSocket } from 'ws';
import { CloseEvents } from '../shared/close-codes.js';
import type { Connection } from './connection.js';
import type { MuxSocket } from './mux-session.js';

/** A socket accepted by the relay. Listeners are shared by all sockets and reach their connection from here. */
export interface RelaySocket extends WebSocket {
  /** The connection serving this socket; undefined while refused or not yet authenticated. */
  connection: Connection | undefined;
  /** The /sync session serving this socket (the multiplexed endpoint); undefined on /rooms sockets. */
  mux: MuxSocket | undefined;
  /** Whether a ping is out without its pong yet (see heartbeat.ts). */
  awaitingPong: boolean;
  /** Heartbeat rounds in a row without a pong. */
  missedPongs: number;
  /** Sends the close frame and closes the TCP connection once it is written. */
  closeNow(code: number, reason: string): void;
}

/**
 * Returns the WebSocket class for one relay's WebSocketServer. ws closes a socket that sent an oversized
 * frame by calling its `close(1009)`; Parley's contract names that 4413, so `close` is overridden here, on
 * the prototype: a wrapper assigned to each socket cost a closure, a bound function and an extra property
 * per connection. `onOversized` runs each time ws asks for 1009 (for metrics).
 */
export const relaySocketClass = (onOversized: () => void) =>
  class extends WebSocket implements RelaySocket {
    connection: Connection | undefined = undefined;
    mux: MuxSocket | undefined = undefined;
    awaitingPong = false;
    missedPongs = 0;

    /**
     * Closes with a code and cuts the TCP connection as soon as the close frame is written, without waiting
     * for the client's answer (ws would wait 30 s): for refused upgrades, whose clients may never answer.
     */
    closeNow(code: number, reason: string): void {
      this.close(code, reason);
      (this as unknown as { _socket?: { destroySoon?(): void } })._socket?.destroySoon?.();
    }

    override close(code?: number, data?: string | Buffer): void {
      if (code !== 1009) return super.close(code, data);
      onOversized();
      return super.close(CloseEvents.frameTooLarge.code, CloseEvents.frameTooLarge.reason);
    }
  };
