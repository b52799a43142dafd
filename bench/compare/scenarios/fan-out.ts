// Fan-out: 1 writer, 100 receivers, 500 chat messages sent with sendMessage at 4 ms gaps; latency to every receiver.
import { newMessageId, sendMessage } from '../../../shared/conversation.js';
import { DeliveryTracker } from '../delivery.js';
import { chatText, writerFor } from '../messages.js';
import { max, percentile } from '../stats.js';
import type { RunningTarget } from '../targets.js';
import { sleep, waitUntil } from '../timing.js';
import { openRoom } from './room-setup.js';

export interface FanOutParams {
  receivers: number;
  messages: number;
  gapMs: number;
  warmupMessages: number;
}

export interface FanOutResult {
  p50: number;
  p99: number;
  max: number;
  /** Deliveries that never arrived (messages × receivers − delivered). */
  lost: number;
  /** Server CPU time per message sent, ms (fan-out to all receivers included). */
  serverCpuMsPerMessage: number;
}

const DRAIN_TIMEOUT_MS = 15_000;

/** Sends `count` messages at `gapMs` gaps on a fixed schedule (a late tick sends at once rather than drifting). */
const sendPaced = async (send: (n: number) => void, count: number, gapMs: number, firstN: number) => {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = start + i * gapMs - performance.now();
    if (wait > 0.5) await sleep(wait);
    send(firstN + i);
  }
};

export interface FanOutRoom {
  /** One measured batch of `params.messages` messages; with `profilePath`, the server's CPU profile of it is written there. */
  measure(profilePath?: string): Promise<FanOutResult>;
  close(): Promise<void>;
}

/** Joins the writer and receivers and sends the warm-up batch; the room is then measured once per run. */
export const openFanOut = async (running: RunningTarget, room: string, params: FanOutParams): Promise<FanOutRoom> => {
  const { writer, receivers, close } = await openRoom(running, room, params.receivers);
  const author = writerFor(`${room}-writer`);
  let n = 0;
  const batch = async (count: number) => {
    const tracker = new DeliveryTracker();
    for (const receiver of receivers) tracker.watch(receiver.doc);
    await sendPaced(
      (i) => {
        const id = newMessageId();
        tracker.markSent(id, performance.now());
        // The update goes out synchronously, from the document's update event inside sendMessage.
        sendMessage(writer.doc, author, { text: chatText(i), id });
      },
      count,
      params.gapMs,
      n,
    );
    n += count;
    const expected = count * receivers.length;
    await waitUntil(() => tracker.latencies.length >= expected, DRAIN_TIMEOUT_MS);
    tracker.stop();
    return { samples: tracker.latencies, expected };
  };
  try {
    // Warm-up: JIT, socket buffers, the room's first log writes.
    await batch(params.warmupMessages);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    measure: async (profilePath) => {
      await sleep(200);
      if (profilePath) await running.server.startProfile();
      // CPU without the forced collections of `stats()`: two full GCs before a run made V8 drop optimized code
      // ("weak objects" deoptimizations) and compile it again inside the measured run.
      const cpuBefore = await running.server.cpuMicros();
      const { samples, expected } = await batch(params.messages);
      const cpuAfter = await running.server.cpuMicros();
      if (profilePath) await running.server.stopProfile(profilePath);
      return {
        p50: percentile(samples, 50),
        p99: percentile(samples, 99),
        max: max(samples),
        lost: expected - samples.length,
        serverCpuMsPerMessage: (cpuAfter - cpuBefore) / 1000 / params.messages,
      };
    },
    close,
  };
};
