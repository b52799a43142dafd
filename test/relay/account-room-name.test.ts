// The relay's synchronous account room name (node:crypto) is the shared rule's name (WebCrypto) for every user id.
import { describe, expect, it } from 'vitest';
import { ACCOUNT_PREFIX, accountRoomName } from '../../shared/account.js';
import { accountRoomNameNow } from '../../relay/membership/account-room-name.js';

describe('account room name in the relay', () => {
  it('equals shared accountRoomName for ASCII, non-ASCII, long and odd user ids', async () => {
    const ids = ['ben', 'user-ada', 'Zoë 🙂 中文', 'x'.repeat(5000), ' lead and trail ', 'a\u0000b', 'e\u0301'];
    for (const id of ids) {
      const name = accountRoomNameNow(id);
      expect(name).toBe(await accountRoomName(id));
      expect(name).toMatch(new RegExp(`^${ACCOUNT_PREFIX.replace('.', '\\.')}[0-9a-f]{40}$`));
    }
    // Different ids (here: composed and decomposed é) get different rooms: nothing normalises them.
    expect(accountRoomNameNow('\u00e9')).not.toBe(accountRoomNameNow('e\u0301'));
  });
});
