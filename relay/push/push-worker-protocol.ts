// What the relay's main thread and its push worker say to each other (types only: both sides import them).
import type { VapidKeys } from './vapid-keys.js';
import type { PushJob, PushOutcome, PushSenderOptions } from './push-sender.js';

/**
 * The push worker (push-worker.ts) does the costly part of Web Push: encryption, VAPID headers, https
 * requests, retries, the per-device rate limit. The main thread only decides who gets what and posts jobs.
 *
 *   start     := workerData = PushWorkerConfig                      (plain data: the worker builds its TLS agent,
 *                                                                     allow-list and VAPID header cache from it)
 *   main → worker:  { type: 'send', jobs: [id, WireJob][] }          (the jobs of one event-loop turn, ids rising)
 *   worker → main:  { type: 'outcomes', outcomes: [id, PushOutcome][], gone: endpoint[] }
 *                                                                    (one event-loop turn's worth)
 *
 * Every job gets exactly one final outcome (anything but `retry`; `retry` may come first, any number of times).
 * The main thread counts a job pending from `send` until its final outcome, and prunes each `gone` endpoint
 * (404/410, or an origin no longer allowed). Shutdown is `worker.terminate()`: nothing is flushed, as before.
 */
export type WireJob = Omit<PushJob, 'subscription'> & { subscription: Pick<PushJob['subscription'], 'endpoint' | 'keys'> };

export interface SendMessage {
  type: 'send';
  jobs: [id: number, job: WireJob][];
}

export interface OutcomesMessage {
  type: 'outcomes';
  outcomes: [id: number, outcome: PushOutcome][];
  gone: string[];
}

/** The worker's whole configuration: the sender's tunables plus what it needs to build its own agent and headers. */
export interface PushWorkerConfig extends Pick<PushSenderOptions, 'ttlSeconds' | 'concurrency' | 'maxQueue' | 'timeoutMs' | 'maxAttempts' | 'backoffMs' | 'deviceBurst' | 'devicePerMinute' | 'maxRetryAfterMs'> {
  keys: VapidKeys;
  /** The VAPID subject (`mailto:` or https URL). */
  subject: string;
  /** Push-service origins allowed besides the browsers' (see endpoint-allow-list.ts). */
  allowOrigins: string[];
  /** Tests only: a PEM certificate trusted besides the system's. */
  trustedCa?: string;
}
