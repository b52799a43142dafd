// The shape check of y-websocket's internals: passes on the pinned 3.1.0, fails loudly naming what changed.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { WebsocketProvider } from 'y-websocket';
import { checkProviderShape, ProviderShapeError } from '../../client/connection/y-websocket-internals.js';

/** Node 20 has no WebSocket; nothing connects here (connect: false), the class is only stored. */
const NoSocket = class {} as unknown as typeof WebSocket;
const provider = (): WebsocketProvider => new WebsocketProvider('ws://127.0.0.1:1/rooms', 'r', new Y.Doc(), { connect: false, WebSocketPolyfill: NoSocket });

describe('checkProviderShape', () => {
  it('accepts the pinned y-websocket', () => {
    const p = provider();
    expect(() => checkProviderShape(p)).not.toThrow();
    p.destroy();
  });

  const breakages: Array<[string, (p: Record<string, unknown>) => void, RegExp]> = [
    ['the awareness handler was renamed', (p) => { delete p._awarenessUpdateHandler; }, /_awarenessUpdateHandler is not a function/],
    ['message handlers became a map', (p) => { p.messageHandlers = new Map(); }, /messageHandlers is not an array/],
    ['the sync handler changed signature', (p) => { (p.messageHandlers as unknown[])[0] = (_a: unknown) => undefined; }, /messageHandlers\[0\] is not a 5-argument handler/],
    ['shouldConnect became a getter-less method', (p) => { p.shouldConnect = () => true; }, /shouldConnect is not a boolean/],
    ['bcChannel disappeared', (p) => { delete p.bcChannel; }, /bcChannel is not a string/],
    ['the watchdog clock was renamed', (p) => { delete p.wsLastMessageReceived; }, /wsLastMessageReceived is not a number/],
  ];
  for (const [name, breakIt, message] of breakages) {
    it(`throws when ${name}`, () => {
      const p = provider();
      breakIt(p as unknown as Record<string, unknown>);
      expect(() => checkProviderShape(p)).toThrow(ProviderShapeError);
      expect(() => checkProviderShape(p)).toThrow(message);
      expect(() => checkProviderShape(p)).toThrow(/written against 3\.1\.0/);
    });
  }

  it('names every problem at once', () => {
    const p = provider() as unknown as Record<string, unknown>;
    delete p.bcChannel;
    delete p._awarenessUpdateHandler;
    expect(() => checkProviderShape(p as unknown as WebsocketProvider)).toThrow(/_awarenessUpdateHandler.*bcChannel/);
  });
});
