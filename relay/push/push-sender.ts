// Sends encrypted pushes to push services: a bounded queue, bounded concurrency, timeouts, retries with backoff, pruning of gone subscriptions.
// It runs inside the push worker (push-worker.ts); the relay's main thread talks to it through push-worker-sender.ts.
import { request, type Agent } from 'node:https';
import webpush from 'web-push';
import type { StoredSubscription } from './subscription-store.js';
import type { EndpointAllowList } from './endpoint-allow-list.js';
import type { VapidHeaderFor } from './vapid-headers.js';
import type { PushOptions } from './push-options.js';

/**
 * One push (RFC 8030): `POST <endpoint>` with `TTL`, `Urgency`, `Topic` (a push service keeps only the newest
 * undelivered message of a topic), `Content-Encoding: aes128gcm` and the payload encrypted to the device's keys
 * (RFC 8291), authorised by a VAPID JWT for the endpoint's origin (RFC 8292). The service answers 201; 404 or
 * 410 means the subscription is gone (it is pruned); 429 and 5xx (and timeouts, network errors) are retried
 * with exponential backoff, honouring `Retry-After`; other answers are given up at once.
 */
export interface PushJob {
  subscription: Pick<StoredSubscription, 'endpoint' | 'keys'>;
  /** The JSON text of a PushPayload. */
  payload: string;
  urgency: 'high' | 'normal';
  /** At most 32 base64url characters. */
  topic: string;
}

/** The sender's tunables are the relay's push options of the same names (documented in push-options.ts). */
export interface PushSenderOptions extends Pick<PushOptions, 'ttlSeconds' | 'concurrency' | 'maxQueue' | 'timeoutMs' | 'maxAttempts' | 'backoffMs' | 'deviceBurst' | 'devicePerMinute'> {
  vapidHeader: VapidHeaderFor;
  allowList: EndpointAllowList;
  /** Longest wait a `Retry-After` may ask for; a longer one gives up. */
  maxRetryAfterMs: number;
  /** TLS agent (tests: one trusting the test push service's certificate). */
  agent?: Agent;
  /** The push service says the subscription is gone (404/410), or its origin is no longer allowed. */
  onGone(endpoint: string): void;
  /** Every outcome of `job`, for metrics: see PushOutcome. Each job gets exactly one final outcome (any but `retry`). */
  onOutcome(outcome: PushOutcome, job: PushJob): void;
}

/** `delivered` 2xx; `gone` 404/410; `retry` a retry was scheduled; `failed` given up; `dropped-*` never sent. */
export type PushOutcome = 'delivered' | 'gone' | 'retry' | 'failed' | 'dropped-queue' | 'dropped-rate' | 'dropped-origin';

export interface PushSender {
  /** Queues a push; false when dropped at once (the push worker's sender: queue full; in the worker also device over its rate, origin not allowed). Never blocks. */
  send(job: PushJob): boolean;
  /** Pushes queued, in flight or waiting to retry. */
  readonly pending: number;
  /** Stops: drops what is queued, cancels retries, aborts requests in flight. */
  close(): void;
}

interface Attempt {
  job: PushJob;
  attempt: number;
}

/** A `Retry-After` value (seconds or an HTTP date) in ms, if it parses. */
const retryAfterMs = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
};

export function createPushSender(options: PushSenderOptions): PushSender {
  const queue: Attempt[] = [];
  const retries = new Set<NodeJS.Timeout>();
  const inFlight = new Set<{ abort(): void }>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  let closed = false;

  /** Per-device token bucket: a busy user of many conversations cannot make their device buzz without end. */
  const takeDeviceToken = (endpoint: string, now: number): boolean => {
    const bucket = buckets.get(endpoint) ?? { tokens: options.deviceBurst, at: now };
    bucket.tokens = Math.min(options.deviceBurst, bucket.tokens + ((now - bucket.at) / 60_000) * options.devicePerMinute);
    bucket.at = now;
    if (buckets.size > 100_000 && !buckets.has(endpoint)) buckets.clear();
    buckets.set(endpoint, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };

  const pending = () => queue.length + inFlight.size + retries.size;

  /**
   * Starts at most one request per turn of the event loop: encrypting a payload and writing a request cost about
   * half a millisecond of CPU, and between two of them the loop reads answers and new jobs, so a burst of
   * hundreds of pushes never holds up the rest (on the push worker's thread, where this runs).
   */
  let scheduled = false;
  const pump = (): void => {
    if (scheduled || closed || queue.length === 0 || inFlight.size >= options.concurrency) return;
    scheduled = true;
    setImmediate(step);
  };
  const step = (): void => {
    scheduled = false;
    if (closed) return;
    const next = queue.shift();
    if (next !== undefined) run(next);
    pump();
  };

  const retry = (item: Attempt, delayMs: number): void => {
    if (item.attempt >= options.maxAttempts || closed) {
      options.onOutcome('failed', item.job);
      return;
    }
    options.onOutcome('retry', item.job);
    const timer = setTimeout(() => {
      retries.delete(timer);
      if (closed) return;
      queue.push({ job: item.job, attempt: item.attempt + 1 });
      pump();
    }, delayMs);
    timer.unref();
    retries.add(timer);
  };

  const run = (item: Attempt): void => {
    const { job } = item;
    const { endpoint } = job.subscription;
    // Checked again at send time: the allow-list may have been narrowed since the subscription was stored.
    if (!options.allowList.allows(endpoint)) {
      options.onOutcome('dropped-origin', job);
      options.onGone(endpoint);
      return;
    }
    let details: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      details = webpush.generateRequestDetails(job.subscription, job.payload, {
        vapidDetails: null as never,
        headers: { Authorization: options.vapidHeader(new URL(endpoint).origin) },
        TTL: options.ttlSeconds,
        urgency: job.urgency,
        topic: job.topic,
        contentEncoding: 'aes128gcm',
      });
    } catch {
      // Keys the encryption cannot use (checked at registration, so only a stored file edited by hand).
      options.onOutcome('failed', job);
      return;
    }
    let settled = false;
    const handle = { abort: () => req.destroy(new Error('aborted')) };
    inFlight.add(handle);
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      inFlight.delete(handle);
      if (!closed) outcome();
      pump();
    };
    const req = request(endpoint, { method: 'POST', headers: details.headers as Record<string, string | number>, ...(options.agent ? { agent: options.agent } : {}) }, (res) => {
      // Nothing in the answer is needed: read and forget it (bounded by the timeout).
      res.resume();
      const status = res.statusCode ?? 0;
      finish(() => {
        if (status >= 200 && status < 300) options.onOutcome('delivered', job);
        else if (status === 404 || status === 410) {
          options.onOutcome('gone', job);
          options.onGone(endpoint);
        } else if (status === 429 || status >= 500) {
          const asked = retryAfterMs(res.headers['retry-after'], Date.now());
          if (asked !== undefined && asked > options.maxRetryAfterMs) options.onOutcome('failed', job);
          else retry(item, Math.max(asked ?? 0, options.backoffMs * 2 ** (item.attempt - 1)));
        } else options.onOutcome('failed', job);
      });
    });
    const timer = setTimeout(() => req.destroy(new Error('push service timed out')), options.timeoutMs);
    timer.unref();
    req.on('error', () => finish(() => retry(item, options.backoffMs * 2 ** (item.attempt - 1))));
    req.end(details.body ?? undefined);
  };

  return {
    send(job) {
      if (closed) return false;
      if (pending() >= options.maxQueue) {
        options.onOutcome('dropped-queue', job);
        return false;
      }
      if (!takeDeviceToken(job.subscription.endpoint, Date.now())) {
        options.onOutcome('dropped-rate', job);
        return false;
      }
      queue.push({ job, attempt: 1 });
      // Started on a later turn: whoever queued (a decision after a durable append) is never held up by encryption.
      pump();
      return true;
    },
    get pending() {
      return pending();
    },
    close() {
      closed = true;
      queue.length = 0;
      for (const timer of retries) clearTimeout(timer);
      retries.clear();
      for (const handle of [...inFlight]) handle.abort();
    },
  };
}
