// Describes the machine a run happened on: CPU, cores, memory, Node, and how busy it was.
import { cpus, loadavg, totalmem, release, platform } from 'node:os';
import { readFileSync } from 'node:fs';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  yjs: string;
  /** 1-minute load average when the run started and ended. */
  loadStart: number;
  loadEnd?: number;
}

/** Read from node_modules directly: some packages (Hocuspocus) do not export their package.json. */
const versionOf = (name: string): string => {
  try {
    const file = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

export const versions = (): Record<string, string> => ({
  yjs: versionOf('yjs'),
  'y-websocket (reference server)': versionOf('y-websocket-v1'),
  '@hocuspocus/server': versionOf('@hocuspocus/server'),
  '@hocuspocus/provider': versionOf('@hocuspocus/provider'),
  ws: versionOf('ws'),
});

export const describeMachine = (): Machine => ({
  cpu: cpus()[0]?.model.trim() ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  os: `${platform()} ${release()}`,
  yjs: versionOf('yjs'),
  loadStart: loadavg()[0] ?? 0,
});

export const finishMachine = (machine: Machine): Machine => ({ ...machine, loadEnd: loadavg()[0] ?? 0 });

/** Whether other work competed for the CPU (load above half a core on a machine this size). */
export const wasBusy = (machine: Machine): boolean => Math.max(machine.loadStart, machine.loadEnd ?? 0) > machine.cores * 0.5;
