// The push worker thread seen from the relay's main thread: outcomes and pending come back, the main side stays bounded, a dead worker is restarted.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import pino from 'pino';
import webpush from 'web-push';
import type { PushOutcome } from '../../relay/push/push-sender.js';
import type { PushWorkerConfig } from '../../relay/push/push-worker-protocol.js';
import { startPushWorkerSender, type PushWorkerSender } from '../../relay/push/push-worker-sender.js';
import { startPushService, type PushBehaviour, type TestPushService } from '../support/push-service.js';
import { waitFor } from './helpers.js';

let service: TestPushService;
beforeAll(async () => {
  service = await startPushService();
});
afterAll(() => service.close());

const keys = webpush.generateVAPIDKeys();
const config = (overrides: Partial<PushWorkerConfig> = {}): PushWorkerConfig => ({
  ttlSeconds: 60, concurrency: 4, maxQueue: 100, timeoutMs: 60_000, maxAttempts: 2, backoffMs: 20, deviceBurst: 100, devicePerMinute: 100,
  maxRetryAfterMs: 60_000, keys, subject: 'mailto:test@parley.invalid', allowOrigins: [service.origin], trustedCa: service.ca, ...overrides,
});

/** A sender whose outcomes, pruned endpoints, restarts and error logs the test reads. */
const senders: PushWorkerSender[] = [];
function start(overrides: Partial<PushWorkerConfig> = {}, workerUrl?: URL) {
  const outcomes: PushOutcome[] = [];
  const gone: string[] = [];
  const errors: string[] = [];
  let restarts = 0;
  const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line).msg as string) });
  const sender = startPushWorkerSender({
    config: config(overrides), log, onGone: (endpoint) => gone.push(endpoint), onOutcome: (outcome) => outcomes.push(outcome), onRestart: () => restarts++,
    ...(workerUrl ? { workerUrl } : {}),
  });
  senders.push(sender);
  return { sender, outcomes, gone, errors, restarts: () => restarts, count: (outcome: PushOutcome) => outcomes.filter((o) => o === outcome).length };
}
afterEach(() => {
  for (const sender of senders.splice(0)) sender.close();
});

/** A push to a new device of the test service, answering `behaviour` (default 201). */
const job = (device: string, text = 'hello', behaviour?: PushBehaviour) => ({ subscription: service.subscribe(device, behaviour), payload: JSON.stringify({ v: 1, preview: text }), urgency: 'normal' as const, topic: 'topic' });

describe('the push worker', () => {
  it('sends from its own thread: delivered and gone come back, gone endpoints are pruned, pending returns to 0', async () => {
    const { sender, outcomes, gone, count } = start();
    // The encryption runs in the worker's own copy of web-push, never in this thread's.
    const encrypt = vi.spyOn(webpush, 'generateRequestDetails');
    // No thread until there is something to send.
    expect(sender.worker).toBeUndefined();
    const ok = job('worker-ok', 'from the worker');
    const dead = job('worker-gone', 'hello', 410);
    expect(sender.send(ok)).toBe(true);
    expect(sender.send(dead)).toBe(true);
    // Counted at once, before the worker has even seen them.
    expect(sender.pending).toBe(2);
    await waitFor(() => sender.pending === 0, 15_000, 'both final outcomes back');
    expect(outcomes.sort()).toEqual(['delivered', 'gone']);
    expect(gone).toEqual([dead.subscription.endpoint]);
    const [push] = service.to('worker-ok');
    expect(push!.vapidError).toBeUndefined();
    expect(push!.payload).toEqual({ v: 1, preview: 'from the worker' });
    expect(count('failed')).toBe(0);
    expect(encrypt).not.toHaveBeenCalled();
    encrypt.mockRestore();
  });

  it.runIf(process.platform === 'linux')('runs at a lower priority than the main thread (Linux: nice +10), so pushes yield to the fan-out', async () => {
    const { sender } = start();
    sender.send(job('worker-nice'));
    await waitFor(() => sender.pending === 0, 15_000, 'the push sent');
    const nice = (stat: string) => Number(stat.split(') ')[1]!.split(' ')[16]);
    const main = nice(readFileSync('/proc/thread-self/stat', 'utf8'));
    const threads = readdirSync('/proc/self/task').map((tid) => nice(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')));
    expect(threads).toContain(Math.min(19, main + 10));
  });

  it('counts a job pending through its retries until its final outcome', async () => {
    const { sender, outcomes } = start({ maxAttempts: 3 });
    const retried = job('worker-retry');
    service.behave('worker-retry', 201, [500, 500]);
    sender.send(retried);
    await waitFor(() => sender.pending === 0, 15_000, 'delivered after two retries');
    expect(outcomes).toEqual(['retry', 'retry', 'delivered']);
    expect(service.to('worker-retry').map((r) => r.status)).toEqual([500, 500, 201]);
  });

  it('holds at most maxQueue jobs on the main side when the worker does not finish them; more are dropped at once', async () => {
    const { sender, count } = start({ maxQueue: 3, concurrency: 1 });
    for (let i = 0; i < 3; i++) expect(sender.send(job(`worker-hang-${i}`, 'hello', 'hang'))).toBe(true);
    expect(sender.send(job('worker-hang-3', 'hello', 'hang'))).toBe(false);
    expect(count('dropped-queue')).toBe(1);
    await waitFor(() => service.to('worker-hang-0').length === 1, 15_000, 'the first request hanging');
    expect(sender.pending).toBe(3);
    expect(sender.send(job('worker-hang-4', 'hello', 'hang'))).toBe(false);
    expect(count('dropped-queue')).toBe(2);
  });

  it('a worker that dies: its jobs in flight are given up, the error is logged, a new worker sends the next pushes', async () => {
    const { sender, count, errors, restarts } = start();
    sender.send(job('worker-stuck', 'hello', 'hang'));
    await waitFor(() => service.to('worker-stuck').length === 1, 15_000, 'the request in flight');
    const first = sender.worker!;
    await first.terminate();
    await waitFor(() => count('failed') === 1 && sender.pending === 0, 15_000, 'the lost job given up');
    expect(restarts()).toBe(1);
    expect(errors.some((msg) => msg.includes('push worker stopped'))).toBe(true);
    // Sent while no worker runs: kept (and counted) until the new one starts.
    expect(sender.send(job('worker-after', 'after the restart'))).toBe(true);
    expect(sender.pending).toBe(1);
    await waitFor(() => sender.pending === 0, 15_000, 'the push after the restart');
    expect(count('delivered')).toBe(1);
    expect(service.to('worker-after')[0]!.payload).toEqual({ v: 1, preview: 'after the restart' });
    expect(sender.worker).not.toBe(first);
  });

  it('a worker that keeps dying at start is given up after five quick deaths: pushes fail, nothing throws', async () => {
    const crashing = new URL('data:text/javascript,throw new Error("push worker crash test")');
    const { sender, count, errors, restarts } = start({}, crashing);
    expect(sender.send(job('worker-never-1'))).toBe(true);
    await waitFor(() => errors.some((msg) => msg.includes('keeps dying')), 25_000, 'sending stopped');
    expect(restarts()).toBe(4);
    expect(count('failed')).toBe(1);
    expect(sender.pending).toBe(0);
    expect(sender.send(job('worker-never-2'))).toBe(false);
    expect(count('failed')).toBe(2);
    expect([...service.to('worker-never-1'), ...service.to('worker-never-2')]).toEqual([]);
  });

  it('a missing worker module is logged at start, before any push', () => {
    const { errors } = start({}, new URL('../../relay/push/no-such-push-worker.js', import.meta.url));
    expect(errors).toEqual(['the push worker module is missing: push notifications will fail']);
  });

  it('close() stops the worker and drops what is pending', async () => {
    const { sender } = start();
    sender.send(job('worker-closing', 'hello', 'hang'));
    await waitFor(() => service.to('worker-closing').length === 1, 15_000, 'the request in flight');
    const worker = sender.worker!;
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    sender.close();
    await exited;
    expect(sender.pending).toBe(0);
    expect(sender.send(job('worker-closed'))).toBe(false);
  });
});
