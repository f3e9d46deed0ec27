import { describe, expect, it } from 'vitest';
import { listChecks, parseWatchInterval } from '../../../src/cli/commands/doctor.js';
import { DOCTOR_CHECKS } from '../../../src/doctor/all-checks.js';
import { tableNeedCondition } from '../../../src/doctor/sources.js';
import { CatalogCache } from '../../../src/doctor/state.js';

describe('doctor monitoring pieces', () => {
  it('CatalogCache keeps values while the version is unchanged and drops them all when it changes', async () => {
    const cache = new CatalogCache();
    let loads = 0;
    const load = async () => ++loads;
    cache.setVersion('v1');
    expect(await cache.get('a', load)).toBe(1);
    expect(await cache.get('a', load)).toBe(1);
    cache.setVersion('v1');
    expect(await cache.get('a', load)).toBe(1);
    cache.setVersion('v2');
    expect(await cache.get('a', load)).toBe(2);
    expect(cache.reloads).toBe(2);
  });

  it('CatalogCache does not keep a failed load', async () => {
    const cache = new CatalogCache();
    cache.setVersion('v1');
    await expect(cache.get('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await new Promise((r) => setTimeout(r, 0));
    expect(await cache.get('a', async () => 'ok')).toBe('ok');
  });

  it('table floors: OR of each check, AND within one, values as parameters', () => {
    const c = tableNeedCondition([
      { minDeadTuples: 1000 },
      { minBytes: 10, minSeqScans: 100 },
      { withStorageOptions: true },
    ]);
    expect(c.params).toEqual([1000, 10, 100]);
    expect(c.sql).toMatch(
      /^\(pg_stat_get_dead_tuples\(c\.oid\) >= \$1\) OR \(CASE WHEN .*>= \$2 THEN pg_stat_get_numscans\(c\.oid\) >= \$3 ELSE false END\) OR \(c\.reloptions IS NOT NULL\)$/s,
    );
    expect(c.sql.indexOf('pg_stat_get_numscans')).toBeGreaterThan(-1);
    expect(tableNeedCondition([]).sql).toBe('false');
    expect(tableNeedCondition([{}]).sql).toBe('true');
  });

  it('every check has a watch cadence, shown by --list; activity checks run every time', () => {
    const cadence = new Map(DOCTOR_CHECKS.map((c) => [c.id, c.watchRefresh]));
    expect(cadence.get('blocked-sessions')).toBe('every-run');
    expect(cadence.get('long-running-queries')).toBe('every-run');
    expect(cadence.get('unused-index')).toBe('counters');
    expect(cadence.get('table-bloat')).toBe('estimates');
    expect(cadence.get('unindexed-foreign-key')).toBe('catalog');
    expect(listChecks()).toMatch(/^vacuum-lag {2}\[\w+, --watch: counters\]/m);
  });

  it('--watch intervals', () => {
    expect(parseWatchInterval('5s')).toBe(5000);
    expect(parseWatchInterval('30')).toBe(30_000);
    expect(parseWatchInterval('2m')).toBe(120_000);
    expect(parseWatchInterval('1500ms')).toBe(1500);
    expect(() => parseWatchInterval('500ms')).toThrow(/at least 1s/);
    expect(() => parseWatchInterval('soon')).toThrow(/at least 1s/);
  });
});
