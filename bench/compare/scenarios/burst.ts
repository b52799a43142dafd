// Burst: the highest update rate a server sustains with every update delivered and p99 delivery under 100 ms.
import * as Y from 'yjs';
import { DeliveryTracker } from '../delivery.js';
import { premadeUpdates, writerFor } from '../messages.js';
import { percentile } from '../stats.js';
import type { RunningTarget } from '../targets.js';
import { sleep, waitUntil } from '../timing.js';
import { openRoom } from './room-setup.js';

export interface BurstParams {
  receivers: number;
  /** Seconds each rate is held. */
  seconds: number;
  /** Rates tried in order (updates/s) until one fails. */
  rates: number[];
  /** Bisection steps between the last passing and the first failing rate. */
  bisect: number;
  p99LimitMs: number;
}

export interface BurstStep {
  rate: number;
  p99: number;
  lost: number;
  pass: boolean;
}

export interface BurstResult {
  /** Highest passing rate, updates/s (0 if none passed). */
  maxRate: number;
  steps: BurstStep[];
}

const LOCAL = Symbol('bench-writer');
const TICK_MS = 5;
const DRAIN_MS = 3000;

/**
 * One step: a fresh room, then the writer replays pre-made sendMessage updates at `rate` for `seconds`
 * (each update is applied to the writer's document, from which its client sends it as one frame). The updates
 * are made beforehand so that the writer's own cost does not cap the rate.
 */
const step = async (running: RunningTarget, room: string, rate: number, params: BurstParams): Promise<BurstStep> => {
  const count = Math.max(1, Math.round(rate * params.seconds));
  const { ids, updates } = premadeUpdates(writerFor(`${room}-writer`), count);
  const { writer, receivers, close } = await openRoom(running, room, params.receivers);
  try {
    const tracker = new DeliveryTracker();
    for (const receiver of receivers) tracker.watch(receiver.doc);
    const start = performance.now();
    let sent = 0;
    // Bounded: ends when every update is sent, or 3× the planned time has passed (the process cannot keep up).
    while (sent < count && performance.now() - start < params.seconds * 3000) {
      const due = Math.min(count, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
      for (; sent < due; sent++) {
        tracker.markSent(ids[sent]!, performance.now());
        Y.applyUpdate(writer.doc, updates[sent]!, LOCAL);
      }
      await sleep(TICK_MS);
    }
    const expected = count * receivers.length;
    await waitUntil(() => tracker.latencies.length >= expected, DRAIN_MS);
    tracker.stop();
    const lost = expected - tracker.latencies.length;
    const p99 = percentile(tracker.latencies, 99);
    return { rate, p99, lost, pass: lost === 0 && sent === count && p99 < params.p99LimitMs };
  } finally {
    await close();
  }
};

export const runBurst = async (running: RunningTarget, prefix: string, params: BurstParams): Promise<BurstResult> => {
  const steps: BurstStep[] = [];
  let pass = 0;
  let fail = 0;
  for (const rate of params.rates) {
    const result = await step(running, `${prefix}-${rate}`, rate, params);
    steps.push(result);
    if (!result.pass) {
      fail = rate;
      break;
    }
    pass = rate;
    await sleep(200);
  }
  for (let i = 0; i < params.bisect && fail > 0 && fail - pass > pass / 8; i++) {
    const rate = Math.round((pass + fail) / 2);
    const result = await step(running, `${prefix}-b${rate}`, rate, params);
    steps.push(result);
    if (result.pass) pass = rate;
    else fail = rate;
  }
  return { maxRate: pass, steps };
};
