import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { breakdown, clientBackends, numericSetting } from '../sources.js';
import { percent } from '../units.js';

/**
 * `idle-connections`: a large share of connections sitting idle — application pools sized far above what they
 * use. Idle backends still cost memory and count against max_connections; this is the pool-sizing hint.
 */
export const idleConnections = defineCheck({
  id: 'idle-connections',
  category: 'health',
  description: 'Share of idle client connections (pool sizing hint)',
  options: {
    minConnections: {
      type: 'number',
      default: 20,
      min: 1,
      description: 'client connections needed before the idle share is judged',
    },
    lowPercent: { type: 'number', default: 50, min: 0, description: 'idle share from which a finding is raised (low)' },
    mediumPercent: { type: 'number', default: 80, min: 0, description: 'idle share from which severity is medium' },
    longIdleSeconds: {
      type: 'number',
      default: 600,
      min: 0,
      description: 'idle time counted as "long idle" in the evidence',
    },
  },
  limitations: [{ without: 'read_all_stats', effect: "other users' connection states are hidden" }],
  async run(ctx, o) {
    const clients = await clientBackends(ctx);
    if (clients.length + 1 < o.minConnections) return [];
    const idle = clients.filter((b) => b.state === 'idle');
    const share = percent(idle.length, clients.length + 1);
    const severity = climb(share, { low: o.lowPercent, medium: o.mediumPercent });
    if (!severity) return [];
    const max = await numericSetting(ctx, 'max_connections', 100);
    const longIdle = idle.filter((b) => (b.stateSeconds ?? 0) >= o.longIdleSeconds).length;
    return [
      makeFinding({
        ruleId: 'idle-connections',
        category: 'health',
        severity,
        title: `${idle.length} of ${clients.length + 1} client connections are idle (${share}%)`,
        summary:
          'Most connections are open but unused, so pools are sized above what the workload needs. Smaller pools, or a transaction-mode pooler, free connection slots and backend memory.',
        evidence: {
          clientConnections: clients.length + 1,
          idle: idle.length,
          idlePercent: share,
          idleLongerThanThreshold: longIdle,
          longIdleSeconds: o.longIdleSeconds,
          maxConnections: max,
          idleByApplication: breakdown(idle, (b) => b.application || '(none)'),
          idleByUser: breakdown(idle, (b) => b.user),
          idleByClient: breakdown(idle, (b) => b.clientAddr ?? 'local socket'),
        },
        remediation: {
          steps: [
            'Size each application pool from its peak concurrent queries, not its worker count.',
            'Set an idle timeout in the pools, or put PgBouncer in transaction mode in front of the database.',
          ],
        },
        object: 'cluster',
        identity: ['cluster'],
      }),
    ];
  },
});
