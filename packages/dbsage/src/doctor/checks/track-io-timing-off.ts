import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { settings } from '../sources.js';

/**
 * `track-io-timing-off`: track_io_timing is off, so pg_stat_statements and EXPLAIN (BUFFERS) cannot say how much
 * of a statement's time is spent waiting for reads. The overhead is small on modern clocks (check with
 * pg_test_timing).
 */
export const trackIoTimingOff = defineCheck({
  id: 'track-io-timing-off',
  category: 'config',
  watchRefresh: 'estimates',
  description: 'track_io_timing is off (no I/O time in pg_stat_statements or EXPLAIN)',
  options: {},
  async run(ctx) {
    const s = (await settings(ctx)).get('track_io_timing');
    if (s?.setting !== 'off') return [];
    return [
      makeFinding({
        ruleId: 'track-io-timing-off',
        category: 'config',
        severity: 'low',
        title: 'track_io_timing is off',
        summary:
          'Without I/O timing, a slow statement cannot be told apart as CPU-bound or waiting on disk. Turning it on costs two clock reads per block read (verify the clock is cheap with pg_test_timing).',
        evidence: { setting: 'track_io_timing', value: s.setting, source: s.source },
        remediation: { sql: 'ALTER SYSTEM SET track_io_timing = on;\nSELECT pg_reload_conf();' },
        object: 'cluster',
        identity: ['cluster'],
      }),
    ];
  },
});
