// The child side of a benchmarked server process: reports its port, answers memory/CPU probes, stops on request.

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';

/** What the parent passes to every server child (JSON in BENCH_SERVER_CONFIG). */
export interface ChildConfig {
  /** HS256 secret for servers that verify tokens (Parley). */
  secret: string;
  /** A room to pre-populate, with a file holding its full state as one Yjs update. */
  seed?: { room: string; file: string };
  /** Where a server with durable storage keeps its data. */
  dataDir?: string;
  /** Parley: unload rooms this many ms after their last client left (its default is 30 s). */
  idleUnloadMs?: number;
}

/** Messages from parent to child. */
export type ParentMessage =
  | { type: 'stats'; id: number; noCollect?: boolean }
  | { type: 'heap-snapshot'; id: number; path: string }
  | { type: 'profile-start'; id: number }
  | { type: 'profile-stop'; id: number; path: string }
  | { type: 'stop' };

/** Messages from child to parent. */
export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'stats'; id: number; rss: number; heapUsed: number; cpuMicros: number }
  | { type: 'heap-snapshot'; id: number }
  | { type: 'profiled'; id: number }
  | { type: 'error'; message: string };

export const readChildConfig = (): ChildConfig => JSON.parse(process.env.BENCH_SERVER_CONFIG ?? '{}') as ChildConfig;

const send = (message: ChildMessage): void => {
  process.send?.(message);
};

/** Collects garbage twice (the second pass frees what finalizers released) so RSS reflects live data. */
const collect = (): void => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
};

/** A CPU profile of one phase (the inspector's sampling profiler, as `--cpu-prof` but started and stopped on request). */
let profiler: Session | undefined;
const post = (session: Session, method: string, params?: object): Promise<unknown> =>
  new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
const startProfile = async (): Promise<void> => {
  profiler ??= new Session();
  profiler.connect();
  await post(profiler, 'Profiler.enable');
  await post(profiler, 'Profiler.setSamplingInterval', { interval: 1000 });
  await post(profiler, 'Profiler.start');
};
const stopProfile = async (path: string): Promise<void> => {
  if (!profiler) return;
  const { profile } = (await post(profiler, 'Profiler.stop')) as { profile: unknown };
  profiler.disconnect();
  writeFileSync(path, JSON.stringify(profile));
};

/** Announces the port and serves the parent's probes until it asks to stop (or goes away). */
export const serveParent = (port: number, close: () => Promise<void>): void => {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Bounded: a server that cannot close in 5 s is left behind (the parent kills it anyway).
    const timer = setTimeout(() => process.exit(0), 5000);
    close().finally(() => {
      clearTimeout(timer);
      process.exit(0);
    });
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') stop();
    else if (message.type === 'heap-snapshot') {
      // For investigations (heap-diff.ts): what the server retains, by constructor.
      writeHeapSnapshot(message.path);
      send({ type: 'heap-snapshot', id: message.id });
    }
    else if (message.type === 'profile-start') {
      void startProfile().then(() => send({ type: 'profiled', id: message.id }));
    } else if (message.type === 'profile-stop') {
      void stopProfile(message.path).then(() => send({ type: 'profiled', id: message.id }));
    } else if (message.type === 'stats') {
      // CPU first, so that the forced collections below are not billed to the measured work.
      const cpu = process.cpuUsage();
      if (message.noCollect !== true) collect();
      send({ type: 'stats', id: message.id, rss: process.memoryUsage.rss(), heapUsed: process.memoryUsage().heapUsed, cpuMicros: cpu.user + cpu.system });
    }
  });
  // The parent died: never outlive it.
  process.on('disconnect', stop);
  send({ type: 'ready', port });
};

/** Reports a start-up failure to the parent and exits. */
export const failStart = (error: unknown): never => {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
};
