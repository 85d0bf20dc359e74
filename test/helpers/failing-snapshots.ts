// A catalog whose snapshot commits fail while the test says so: the table load a commit makes
// (commitWithRetry) throws a retryable error when `fails(id)` answers true; everything else goes
// to the real catalog.
import type { SqlCatalog } from '../../src/catalog/sql-catalog.ts';
import { FloeError } from '../../src/errors.ts';

type TableId = Parameters<SqlCatalog['loadTable']>[0];

export function failingSnapshots(real: SqlCatalog, fails: (id: TableId) => boolean): SqlCatalog {
  return new Proxy(real, {
    get(target, prop, recv) {
      if (prop === 'loadTable') {
        return async (id: TableId) => {
          if ((new Error().stack ?? '').includes('commitWithRetry') && fails(id)) throw new FloeError('retryable', 'catalog unavailable (injected)');
          return target.loadTable(id);
        };
      }
      const v = Reflect.get(target, prop, recv);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
