// The app's service worker answers only for the app's own shell files in its scope (issue 14, bug 4).
import { expect } from '@esm-bundle/chai';
import { shellKey } from '../../client/ui/chat-app/sw-routes.js';

const scope = 'https://chat.example/';
const get = (url: string, mode = 'no-cors'): { url: string; method: string; mode: string } => ({ url, method: 'GET', mode });

describe('ui: service worker routes', () => {
  it('answers navigations to the app itself, from the cache key of the app page', () => {
    expect(shellKey(get(scope, 'navigate'), scope)).to.equal(scope);
    expect(shellKey(get(`${scope}index.html`, 'navigate'), scope)).to.equal(scope);
    expect(shellKey(get(`${scope}?relay=wss://x#/room/team`, 'navigate'), scope)).to.equal(scope);
  });

  it('never answers other pages of the same origin (the embed example got the app and hung on "Loading Parley…")', () => {
    expect(shellKey(get(`${scope}examples/embed.html`, 'navigate'), scope)).to.equal(undefined);
    expect(shellKey(get(`${scope}examples/`, 'navigate'), scope)).to.equal(undefined);
    expect(shellKey(get(`${scope}examples/app.js`), scope)).to.equal(undefined);
    expect(shellKey(get(`${scope}dist/chat-room.js`), scope)).to.equal(undefined);
  });

  it('answers the shell files only, never the API, tokens, other origins, other methods or paths outside its scope', () => {
    expect(shellKey(get(`${scope}app.js`), scope)).to.equal(`${scope}app.js`);
    expect(shellKey(get(`${scope}icon.svg`), scope)).to.equal(`${scope}icon.svg`);
    expect(shellKey(get(`${scope}dev/token`), scope)).to.equal(undefined);
    expect(shellKey({ url: `${scope}app.js`, method: 'POST', mode: 'cors' }, scope)).to.equal(undefined);
    expect(shellKey(get('https://other.example/app.js'), scope)).to.equal(undefined);
    expect(shellKey(get('https://chat.example/app.js'), 'https://chat.example/parley/')).to.equal(undefined);
    expect(shellKey(get('https://chat.example/parley/app.js'), 'https://chat.example/parley/')).to.equal('https://chat.example/parley/app.js');
  });
});
