// Which requests the app's service worker answers: only the app's own shell files inside its scope (never other pages of the origin).

/** The shell files, relative to the worker's scope (the app's folder). */
export const SHELL = ['./', './index.html', './app.js', './search-worker.js', './manifest.webmanifest', './icon.svg'] as const;

/**
 * The cache key (a shell file's URL) for a request the worker should answer, or undefined to leave it to the
 * network. A navigation is answered only for the app's own page (the scope itself or its index.html): other
 * pages of the same origin, such as /examples/embed.html, must never get the app's index.html, whose relative
 * `./app.js` would then resolve next to them and never load.
 */
export function shellKey(request: { url: string; method: string; mode: string }, scope: string): string | undefined {
  if (request.method !== 'GET') return undefined;
  const url = new URL(request.url);
  const base = new URL(scope);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return undefined;
  const clean = url.origin + url.pathname;
  const shell = SHELL.map((path) => new URL(path, base).href);
  if (!shell.includes(clean)) return undefined;
  // The page itself is cached under the scope URL (index.html and ./ are the same page).
  if (request.mode === 'navigate') return new URL('./', base).href;
  return clean;
}
