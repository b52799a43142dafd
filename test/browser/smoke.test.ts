import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';

it('y-indexeddb roundtrip', async () => {
  const d = new Y.Doc();
  const p = new IndexeddbPersistence('t1', d);
  await p.whenSynced;
  d.getArray('x').push([1]);
  await p.destroy();
  const d2 = new Y.Doc();
  const p2 = new IndexeddbPersistence('t1', d2);
  await p2.whenSynced;
  if (d2.getArray('x').length !== 1) throw new Error('bad');
  await p2.clearData();
});
