// A root afterEach hook: a failed assertion whose `actual`/`expected` cannot be structured-cloned still reaches web-test-runner.

/**
 * web-test-runner sends each failure's chai `actual` and `expected` through `structuredClone`; a DOM node, a
 * function or a window there throws a DataCloneError in the page, the results never arrive and the whole file
 * ends as "did not finish within 600000ms" with no word of the failing assertion (modernweb-dev/web#2967).
 * This replaces such values with a short text, so the failure is reported as a failure.
 */
const asText = (value: unknown): string =>
  value instanceof Element ? value.outerHTML.slice(0, 300) : value instanceof Node ? `[${value.nodeName}]` : String(value).slice(0, 300);

afterEach(function reportableFailure(this: Mocha.Context) {
  const error = this.currentTest?.err as (Error & { actual?: unknown; expected?: unknown }) | undefined;
  if (!error) return;
  for (const key of ['actual', 'expected'] as const) {
    if (!(key in error)) continue;
    try {
      structuredClone(error[key]);
    } catch {
      error[key] = asText(error[key]);
    }
  }
});
