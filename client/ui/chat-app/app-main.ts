// Entry of the web app bundle (dist/web/app.js): defines <chat-app> and registers the service worker that caches the shell.
import './chat-app.js';

// The service worker makes a reload work with the relay down; it needs a secure context (localhost counts).
if ('serviceWorker' in navigator && window.isSecureContext) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('./sw.js', { scope: './' }).catch((error: unknown) => {
      console.warn('Parley: the service worker could not be registered; the app will not open offline', error);
    });
  });
}
