// <chat-room> offline: the banner says so, a message written offline shows "sending", and reaches the other side once after reconnecting.
import { expect } from '@esm-bundle/chai';
import { $, bubbleTexts, messageWith, mountRoom, sendText, startRelay, stopRelay, uniqueRoom, uniqueUser, unmountAll, waitFor, waitForMessage, whenSynced } from './ui-helpers.js';

describe('ui: <chat-room> offline', () => {
  afterEach(async () => {
    await startRelay();
    await unmountAll();
  });

  it('queues a message while the relay is down and delivers it exactly once after reconnecting', async () => {
    const room = uniqueRoom('ui-offline');
    const ada = await mountRoom({ room, user: uniqueUser('Ada') });
    const bob = await mountRoom({ room, user: uniqueUser('Bob') });
    await whenSynced(ada);
    await whenSynced(bob);
    expect(ada.shadowRoot!.querySelector('[part="banner"]') === null, 'no banner while synced').to.equal(true);

    await stopRelay();
    await waitFor(() => ada.status === 'offline', { what: 'ada offline' });
    const banner = $(ada, '[part="banner"]');
    expect(banner.dataset.state).to.equal('offline');
    expect(banner.textContent).to.contain('Offline');
    expect($(ada, '[part="status"]').textContent).to.equal('Offline');

    await sendText(ada, 'written offline');
    const queued = await waitForMessage(ada, 'written offline');
    expect(queued.querySelector('[part~="tick"]')!.getAttribute('data-status')).to.equal('sending');

    await startRelay();
    // "Retry now" skips the rest of the backoff wait.
    for (const el of [ada, bob]) (el.shadowRoot!.querySelector('[part="banner"] button') as HTMLButtonElement | null)?.click();
    await waitForMessage(bob, 'written offline', 'bob receives the offline message');
    await waitFor(() => ['sent', 'delivered', 'read'].includes(messageWith(ada, 'written offline')?.querySelector('[part~="tick"]')?.getAttribute('data-status') ?? ''), { what: 'tick past sending' });
    await whenSynced(ada);
    await waitFor(() => ada.shadowRoot!.querySelector('[part="banner"]') === null, { what: 'banner gone' });
    expect(bubbleTexts(bob).filter((t) => t === 'written offline')).to.have.length(1);
  });
});
