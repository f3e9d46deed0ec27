import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { checkpoints, settings } from '../sources.js';
import { percent } from '../units.js';

/**
 * `checkpoint-pressure`: checkpoints requested (WAL reached max_wal_size, or an explicit CHECKPOINT) versus
 * timed (checkpoint_timeout). Frequent requested checkpoints mean max_wal_size is too small for the write rate:
 * more full-page writes and I/O spikes.
 */
export const checkpointPressure = defineCheck({
  id: 'checkpoint-pressure',
  category: 'config',
  description: 'Checkpoints requested (max_wal_size reached) versus timed',
  options: {
    minCheckpoints: {
      type: 'number',
      default: 20,
      min: 1,
      description: 'checkpoints needed before the ratio is judged',
    },
    lowRequestedPercent: {
      type: 'number',
      default: 10,
      min: 0,
      description: 'share of requested checkpoints from which a finding is raised (low)',
    },
    mediumRequestedPercent: { type: 'number', default: 30, min: 0, description: 'share from which severity is medium' },
    highRequestedPercent: { type: 'number', default: 70, min: 0, description: 'share from which severity is high' },
  },
  async run(ctx, o) {
    const cp = await checkpoints(ctx);
    const total = cp.timed + cp.requested;
    if (total < o.minCheckpoints) return [];
    const share = percent(cp.requested, total);
    const severity = climb(share, {
      low: o.lowRequestedPercent,
      medium: o.mediumRequestedPercent,
      high: o.highRequestedPercent,
    });
    if (!severity) return [];
    const s = await settings(ctx);
    const maxWal = s.get('max_wal_size');
    return [
      makeFinding({
        ruleId: 'checkpoint-pressure',
        category: 'config',
        severity,
        title: `${share}% of checkpoints were requested rather than timed (${cp.requested} of ${total})`,
        summary:
          'Requested checkpoints usually mean WAL reached max_wal_size before checkpoint_timeout, so checkpoints come more often than planned, with more full-page writes and I/O spikes. Raising max_wal_size spreads them out (explicit CHECKPOINT commands also count here).',
        evidence: {
          timed: cp.timed,
          requested: cp.requested,
          requestedPercent: share,
          maxWalSize: maxWal ? `${maxWal.setting}${maxWal.unit ?? ''}` : null,
          checkpointTimeoutSeconds: Number(s.get('checkpoint_timeout')?.setting ?? 300),
          window: cp.isWindow
            ? 'since snapshot'
            : cp.statsReset
              ? `since stats reset ${cp.statsReset}`
              : 'since statistics began',
        },
        remediation: {
          sql: `ALTER SYSTEM SET max_wal_size = '${Math.max(2, Math.round((Number(maxWal?.setting ?? 1024) * 2) / 1024))}GB';\nSELECT pg_reload_conf();`,
          steps: [
            'Check the server log with log_checkpoints = on: "checkpoint starting: wal" lines confirm the cause.',
          ],
        },
        object: 'cluster',
        identity: ['cluster'],
      }),
    ];
  },
});
