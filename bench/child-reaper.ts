// Kills benchmark child processes (relays, floors) when the benchmark exits for any reason, so a failed run leaves none behind.
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let installed = false;

/** Registers a child: it is SIGKILLed if still running when this process exits, fails or is interrupted. */
export const reapOnExit = (child: ChildProcess): ChildProcess => {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!installed) {
    installed = true;
    // SIGKILL, not SIGTERM: a child whose main thread is blocked never runs its JavaScript SIGTERM handler.
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
    // An uncaught failure (top-level await rejecting) still goes through 'exit'; make it exit rather than linger.
    process.on('uncaughtException', (error) => {
      process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
      process.exit(1);
    });
    process.on('unhandledRejection', (reason) => {
      process.stderr.write(`bench failed: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
      process.exit(1);
    });
  }
  return child;
};
