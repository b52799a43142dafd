// Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof DIR`): self time by function and by source area.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Which part of the stack a script belongs to: a package, the relay, shared, or Node itself. */
const areaOf = (url: string): string => {
  if (url === '') return '(native / VM)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/(relay|shared|bench)\//.exec(url);
  if (own) return `${own[1]}/`;
  if (url.startsWith('node:')) return 'node:internal';
  return url;
};

export const summarise = (path: string, top = 25): string => {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of selfMicros) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    total += micros;
    const key = `${functionName || '(anonymous)'}  ${url.replace(/^.*\/(node_modules|relay|shared)\//, '$1/')}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    const area = areaOf(url);
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
  }
  const lines = [`${path}: ${(total / 1000).toFixed(0)} ms busy of ${((profile.endTime - profile.startTime) / 1000).toFixed(0)} ms`];
  const list = (title: string, map: Map<string, number>) => {
    lines.push(title);
    for (const [key, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      lines.push(`  ${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${key}`);
    }
  };
  list('by area (self time):', byArea);
  list('by function (self time):', byFunction);
  return lines.join('\n');
};

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const path of process.argv.slice(2)) process.stdout.write(`${summarise(path)}\n\n`);
}
