// Guards the dependency tree: exactly one copy of yjs (13.6.x), and no Yjs 14 (`@y/*`) package anywhere.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Tree { version?: string; dependencies?: Record<string, Tree> }

function collect(tree: Tree, name: string, found: Set<string>): void {
  for (const [dep, sub] of Object.entries(tree.dependencies ?? {})) {
    if (dep === name && sub.version) found.add(sub.version);
    collect(sub, name, found);
  }
}

describe('dependency tree', () => {
  it('has exactly one version of yjs, on the 13.6 line', () => {
    const out = execFileSync('npm', ['ls', 'yjs', '--all', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const versions = new Set<string>();
    collect(JSON.parse(out) as Tree, 'yjs', versions);
    expect([...versions]).toHaveLength(1);
    expect([...versions][0]).toMatch(/^13\.6\./);
  });

  it('contains no @y/* (Yjs 14) package', () => {
    const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, unknown> };
    const yjs14 = Object.keys(lock.packages).filter((path) => /(^|\/)node_modules\/@y\//.test(path));
    expect(yjs14).toEqual([]);
  });
});
