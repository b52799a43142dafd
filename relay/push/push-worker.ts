// The push worker's entry point: runs the push sender on its own thread and reports outcomes (protocol in push-worker-protocol.ts).
import { readlinkSync } from 'node:fs';
import { Agent } from 'node:https';
import { getPriority, setPriority } from 'node:os';
import { rootCertificates } from 'node:tls';
import { parentPort, workerData } from 'node:worker_threads';
import { createEndpointAllowList } from './endpoint-allow-list.js';
import { createPushSender, type PushJob } from './push-sender.js';
import type { OutcomesMessage, PushWorkerConfig, SendMessage } from './push-worker-protocol.js';
import { createVapidHeaders } from './vapid-headers.js';

if (parentPort === null) throw new Error('push-worker.ts runs only as a worker thread (see push-worker-sender.ts)');
const port = parentPort;
const config = workerData as PushWorkerConfig;

/**
 * On Linux a thread has its own nice value: this one yields to the relay's main thread (nice +10), so that on a
 * saturated machine pushes wait, not the fan-out of messages to people reading them live. Elsewhere: unchanged.
 */
const PUSH_WORKER_NICE = 10;
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, Math.min(19, getPriority(tid) + PUSH_WORKER_NICE));
} catch {
  // Not Linux, or not allowed: the worker runs at the relay's priority.
}

const agent = new Agent({
  keepAlive: true,
  maxSockets: config.concurrency,
  ...(config.trustedCa !== undefined ? { ca: [...rootCertificates, config.trustedCa] } : {}),
});

/** Each job's id, from `send` to its final outcome (at most maxQueue: the main thread never has more pending). */
const ids = new Map<PushJob, number>();

/** Outcomes of one event-loop turn, posted together: one message, not hundreds, for the main thread to read. */
let batch: OutcomesMessage | undefined;
const report = (): OutcomesMessage => {
  if (batch === undefined) {
    batch = { type: 'outcomes', outcomes: [], gone: [] };
    setImmediate(() => {
      const message = batch;
      batch = undefined;
      if (message !== undefined) port.postMessage(message);
    });
  }
  return batch;
};

const sender = createPushSender({
  ...config,
  vapidHeader: createVapidHeaders(config.keys, config.subject),
  allowList: createEndpointAllowList(config.allowOrigins),
  agent,
  onGone: (endpoint) => report().gone.push(endpoint),
  onOutcome: (outcome, job) => {
    const id = ids.get(job);
    if (id === undefined) return;
    if (outcome !== 'retry') ids.delete(job);
    report().outcomes.push([id, outcome]);
  },
});

port.on('message', (message: SendMessage) => {
  if (message.type !== 'send') return;
  for (const [id, job] of message.jobs) {
    ids.set(job, id);
    sender.send(job);
  }
});
