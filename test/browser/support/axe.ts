// axe-core for the browser tests: loaded once from the test server's node_modules, run on an element, violations as text.

interface AxeResults {
  violations: { id: string; impact: string; help: string; nodes: { target: unknown[] }[] }[];
}

declare global {
  interface Window {
    /** Defined by axe-core's UMD script. */
    axe?: { run(context: Element, options?: object): Promise<AxeResults> };
  }
}

async function loadAxe(): Promise<NonNullable<Window['axe']>> {
  if (!window.axe) {
    await new Promise<void>((resolve, reject) => {
      const script = document.createElement('script');
      script.src = '/node_modules/axe-core/axe.min.js';
      script.onload = () => resolve();
      script.onerror = () => reject(new Error('axe-core did not load'));
      document.head.append(script);
    });
  }
  return window.axe!;
}

/** axe-core's violations within `context`, one line each (`id (impact): help at targets`); `[]` when clean. */
export async function axeViolations(context: Element): Promise<string[]> {
  const results = await (await loadAxe()).run(context);
  return results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
}
