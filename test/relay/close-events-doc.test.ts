// The close-code table in docs/protocol.md and shared/close-codes.ts describe the same events, both ways.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CloseEvents, closeReason } from '../../shared/close-codes.js';

/** The rows of the markdown table under `## Close codes`: code, name, default reason. */
function documentedEvents(): Map<string, { code: number; reason: string }> {
  const text = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const start = text.search(/^## Close codes\s*$/m);
  expect(start, 'docs/protocol.md has a "## Close codes" section').toBeGreaterThanOrEqual(0);
  const section = text.slice(start).split(/\n(?=## )/)[0]!;
  const rows = new Map<string, { code: number; reason: string }>();
  for (const line of section.split('\n')) {
    const cells = /^\|\s*(\d{4})\s*\|\s*([A-Za-z]+)\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (!cells) continue;
    const [, code, name, reason] = cells as unknown as [string, string, string, string];
    expect(rows.has(name), `${name} is documented once`).toBe(false);
    rows.set(name, { code: Number(code), reason });
  }
  return rows;
}

describe('close events: docs/protocol.md against shared/close-codes.ts', () => {
  const documented = documentedEvents();

  it('documents every event of the module with its code and default reason', () => {
    for (const [name, { code, reason }] of Object.entries(CloseEvents)) {
      expect(documented.get(name), `docs/protocol.md lacks a row for ${name}`).toEqual({ code, reason });
    }
  });

  it('documents no event the module does not have', () => {
    const known = new Set(Object.keys(CloseEvents));
    expect([...documented.keys()].filter((name) => !known.has(name))).toEqual([]);
  });

  it('builds detailed reasons from the named event and keeps them within a close frame', () => {
    expect(closeReason(CloseEvents.writeRefused, 'read-only')).toBe('write refused: read-only');
    expect(closeReason(CloseEvents.rateLimited)).toBe('rate limit exceeded');
    const long = closeReason(CloseEvents.writeRefused, 'é'.repeat(200));
    expect(new TextEncoder().encode(long).byteLength).toBeLessThanOrEqual(123);
    expect(long.startsWith('write refused: é')).toBe(true);
  });
});
