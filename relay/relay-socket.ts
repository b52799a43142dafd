// The relay's WebSocket class: ws's own, plus a link to the connection it serves and Parley's 4413 for oversized frames.
import { WebSocket } from 'ws';
import { CloseEvents } from '../shared/close-codes.js';
import type { Connection } from './connection.js';

/** A socket accepted by the relay. Listeners are shared by all sockets and reach their connection from here. */
export interface RelaySocket extends WebSocket {
  /** The connection serving this socket; undefined while refused or not yet authenticated. */
  connection: Connection | undefined;
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

    override close(code?: number, data?: string | Buffer): void {
      if (code !== 1009) return super.close(code, data);
      onOversized();
      return super.close(CloseEvents.frameTooLarge.code, CloseEvents.frameTooLarge.reason);
    }
  };
