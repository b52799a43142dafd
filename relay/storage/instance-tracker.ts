// Heartbeats between relay instances over the bus, so that an instance's awareness states vanish within seconds of its death.
import type { EphemeralBus } from './seams.js';

export interface InstanceTrackerOptions {
  bus: EphemeralBus;
  instanceId: string;
  /** Heartbeat period. Default 1 s. */
  heartbeatMs?: number;
  /** An instance unheard of for this long is gone. Default 3.5 s (three missed heartbeats). */
  deadAfterMs?: number;
}

/** Tells which other instances are alive and calls listeners once for each that stops beating. */
export interface InstanceTracker {
  /** Notes that `instance` was heard from (any message counts). */
  seen(instance: string): void;
  /** Calls `listener` with each instance that is found gone; returns the unsubscribe function. */
  onGone(listener: (instance: string) => void): () => void;
  stop(): void;
}

/** Starts beating and watching. */
export const startInstanceTracker = (options: InstanceTrackerOptions): InstanceTracker => {
  const { bus, instanceId } = options;
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const deadAfterMs = options.deadAfterMs ?? 3500;
  const lastSeen = new Map<string, number>();
  const listeners = new Set<(instance: string) => void>();
  const seen = (instance: string) => {
    if (instance !== instanceId) lastSeen.set(instance, Date.now());
  };
  const unsubscribe = bus.subscribeHeartbeats((message) => seen(message.from));
  const beat = () => bus.publish({ kind: 'heartbeat', from: instanceId });
  beat();
  const timer = setInterval(() => {
    beat();
    const now = Date.now();
    for (const [instance, at] of lastSeen) {
      if (now - at <= deadAfterMs) continue;
      lastSeen.delete(instance);
      for (const listener of [...listeners]) listener(instance);
    }
  }, heartbeatMs);
  timer.unref();
  return {
    seen,
    onGone(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    stop() {
      clearInterval(timer);
      unsubscribe();
      listeners.clear();
    },
  };
};
