// The relay's PushSender: posts push jobs to the push worker thread, counts them until their final outcome, restarts a dead worker.
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { PushJob, PushOutcome, PushSender } from './push-sender.js';
import type { OutcomesMessage, PushWorkerConfig, SendMessage, WireJob } from './push-worker-protocol.js';

export interface PushWorkerSenderOptions {
  config: PushWorkerConfig;
  log: Logger;
  /** The push service says the subscription is gone (404/410), or its origin is no longer allowed. */
  onGone(endpoint: string): void;
  /** Every outcome, for metrics (see PushOutcome); `failed` also for the jobs a dying worker took with it. */
  onOutcome(outcome: PushOutcome): void;
  /** The worker died and is started again. */
  onRestart?(): void;
  /** Tests: another worker module (default: push-worker next to this module). */
  workerUrl?: URL;
}

export interface PushWorkerSender extends PushSender {
  /** The running worker, if any (diagnostics and tests): none before the first push. */
  readonly worker: Worker | undefined;
}

/** A worker that dies within this long of its start counts as a quick death; this many in a row and sending stops. */
const QUICK_DEATH_MS = 60_000;
const MAX_QUICK_DEATHS = 5;
/** Wait before a restart: 250 ms, doubled per quick death in a row. */
const RESTART_DELAY_MS = 250;

/**
 * How to start the worker module. Compiled (`dist/…/push-worker.js`) or bundled (`push-worker.mjs` beside the
 * bundle), plain Node runs it. From TypeScript sources (vitest, tsx, web-test-runner's tsImport) the worker
 * needs tsx's loader: a `.ts` entry cannot rely on the parent's `--import tsx` (Node 20 workers do not apply
 * it to their entry), so a tiny bootstrap registers tsx in the worker, then imports the module.
 */
function spawnWorker(url: URL, config: PushWorkerConfig): Worker {
  const options = { workerData: config, name: 'parley-push' };
  if (extname(url.pathname) !== '.ts') return new Worker(url, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => tsx.register()).then(() => import(${JSON.stringify(url.href)}))`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** The worker module beside this one, with this module's extension (.ts from sources, .js compiled, .mjs bundled). */
const defaultWorkerUrl = (): URL => new URL(`./push-worker${extname(new URL(import.meta.url).pathname)}`, import.meta.url);

/**
 * Returns the sender the notifier uses; the push worker starts with the first push. `send` never blocks: it counts the job and
 * posts it with the others of the same event-loop turn. At most `maxQueue` jobs are pending (posted or waiting
 * for a worker to start) until their final outcome; more are dropped here (`dropped-queue`), so a slow or
 * stuck worker cannot make the main thread hold memory without bound.
 */
export function startPushWorkerSender(options: PushWorkerSenderOptions): PushWorkerSender {
  const { config, log } = options;
  const workerUrl = options.workerUrl ?? defaultWorkerUrl();
  /** Posted to the current worker, by id: its endpoint, until the final outcome. */
  const posted = new Map<number, string>();
  /** Not yet posted: this turn's jobs, or all jobs while no worker runs. */
  let outbox: [number, WireJob][] = [];
  let nextId = 1;
  let worker: Worker | undefined;
  let startedAt = 0;
  let quickDeaths = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let flushScheduled = false;
  let started = false;
  let stopped = false;
  let closed = false;

  const flush = (): void => {
    flushScheduled = false;
    if (worker === undefined || outbox.length === 0) return;
    const message: SendMessage = { type: 'send', jobs: outbox };
    for (const [id, job] of outbox) posted.set(id, job.subscription.endpoint);
    outbox = [];
    worker.postMessage(message);
  };

  const received = (message: OutcomesMessage): void => {
    if (closed || message?.type !== 'outcomes') return;
    for (const endpoint of message.gone) options.onGone(endpoint);
    for (const [id, outcome] of message.outcomes) {
      // An id the worker never had (a restarted worker's late message): not counted twice.
      if (!posted.has(id)) continue;
      if (outcome !== 'retry') posted.delete(id);
      options.onOutcome(outcome);
    }
  };

  /** The jobs `count` lost with a dead worker, or dropped when sending stops: given up. */
  const giveUp = (count: number): void => {
    for (let i = 0; i < count; i++) options.onOutcome('failed');
  };

  const start = (): void => {
    restartTimer = undefined;
    if (closed) return;
    let current: Worker;
    try {
      current = spawnWorker(workerUrl, config);
    } catch (error) {
      // Only from sources without tsx installed: nothing to retry.
      stopped = true;
      giveUp(outbox.length);
      outbox = [];
      log.error({ err: error }, 'the push worker cannot start: push notifications are not sent');
      return;
    }
    worker = current;
    startedAt = Date.now();
    // The relay's own servers keep the process alive; an idle push worker must not.
    current.unref();
    current.on('message', received);
    current.on('error', (error) => log.error({ err: error }, 'push worker failed'));
    current.on('messageerror', (error) => log.error({ err: error }, 'push worker sent a message that could not be read'));
    current.on('exit', (code) => {
      if (closed || worker !== current) return;
      worker = undefined;
      const lost = posted.size;
      posted.clear();
      giveUp(lost);
      quickDeaths = Date.now() - startedAt < QUICK_DEATH_MS ? quickDeaths + 1 : 1;
      if (quickDeaths >= MAX_QUICK_DEATHS) {
        stopped = true;
        giveUp(outbox.length);
        outbox = [];
        log.error({ code, deaths: quickDeaths }, 'the push worker keeps dying: push notifications are not sent until the relay restarts');
        return;
      }
      const delay = RESTART_DELAY_MS * 2 ** (quickDeaths - 1);
      log.error({ code, lost, restartInMs: delay }, 'the push worker stopped; its pushes in flight are given up, restarting it');
      options.onRestart?.();
      restartTimer = setTimeout(() => {
        start();
        flush();
      }, delay);
      restartTimer.unref();
    });
  };
  // A missing module (a bundle without its second entry point) shows at start, not at the first push.
  if (workerUrl.protocol === 'file:' && !existsSync(fileURLToPath(workerUrl))) {
    log.error({ path: fileURLToPath(workerUrl) }, 'the push worker module is missing: push notifications will fail');
  }

  return {
    send(job: PushJob) {
      if (closed) return false;
      // Started at the first push: a relay nobody subscribed to (and every test relay that sends none) runs no thread.
      if (!started) {
        started = true;
        start();
      }
      if (stopped) {
        options.onOutcome('failed');
        return false;
      }
      if (posted.size + outbox.length >= config.maxQueue) {
        options.onOutcome('dropped-queue');
        return false;
      }
      const { subscription, payload, urgency, topic } = job;
      outbox.push([nextId++, { subscription: { endpoint: subscription.endpoint, keys: subscription.keys }, payload, urgency, topic }]);
      if (!flushScheduled && worker !== undefined) {
        flushScheduled = true;
        setImmediate(flush);
      }
      return true;
    },
    get pending() {
      return posted.size + outbox.length;
    },
    get worker() {
      return worker;
    },
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(restartTimer);
      outbox = [];
      posted.clear();
      const current = worker;
      worker = undefined;
      current?.terminate().catch((error: unknown) => log.warn({ err: error }, 'stopping the push worker failed'));
    },
  };
}
