import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { activity, breakdown, numericSetting } from '../sources.js';
import { percent } from '../units.js';

/**
 * `connection-usage`: client connections as a share of what clients can actually get — max_connections minus
 * the slots reserved for superusers (and, from 16, for pg_use_reserved_connections). A fixed count means nothing
 * without the limit (PgHero's 500 is fine at max_connections 2000 and fatal at 500).
 */
export const connectionUsage = defineCheck({
  id: 'connection-usage',
  category: 'health',
  description: 'Client connections as a % of max_connections minus reserved slots, with a breakdown',
  options: {
    mediumPercent: {
      type: 'number',
      default: 70,
      min: 0,
      description: 'usage from which a finding is raised (medium)',
    },
    highPercent: { type: 'number', default: 85, min: 0, description: 'usage from which severity is high' },
    criticalPercent: { type: 'number', default: 95, min: 0, description: 'usage from which severity is critical' },
  },
  limitations: [{ without: 'read_all_stats', effect: "other users' connections show no state, application or client" }],
  async run(ctx, o) {
    const all = await activity(ctx);
    const clients = all.filter((b) => b.backendType === 'client backend');
    const max = await numericSetting(ctx, 'max_connections', 100);
    const superuserReserved = await numericSetting(ctx, 'superuser_reserved_connections', 3);
    const reserved = await numericSetting(ctx, 'reserved_connections', 0);
    const available = Math.max(1, max - superuserReserved - reserved);
    const usage = percent(clients.length, available);
    const severity = climb(usage, { medium: o.mediumPercent, high: o.highPercent, critical: o.criticalPercent });
    if (!severity) return [];
    return [
      makeFinding({
        ruleId: 'connection-usage',
        category: 'health',
        severity,
        title: `${clients.length} of ${available} available connections in use (${usage}%)`,
        summary:
          'When client connections reach max_connections minus the reserved slots, new connections are refused. A connection pooler (PgBouncer in transaction mode) serves many clients with few server connections.',
        evidence: {
          clientConnections: clients.length,
          maxConnections: max,
          superuserReservedConnections: superuserReserved,
          reservedConnections: reserved,
          availableToClients: available,
          usagePercent: usage,
          byState: breakdown(clients, (b) => b.state),
          byUser: breakdown(clients, (b) => b.user),
          byApplication: breakdown(clients, (b) => b.application || '(none)'),
          byClient: breakdown(clients, (b) => b.clientAddr ?? 'local socket'),
          byDatabase: breakdown(clients, (b) => b.database),
        },
        remediation: {
          steps: [
            'Put a pooler (PgBouncer, transaction mode) in front of the applications with the most connections.',
            'Lower each application pool to what it needs (idle connections still count); see idle-connections.',
            'Raising max_connections needs a restart and costs memory per backend; it is the last resort.',
          ],
        },
        object: 'cluster',
        identity: ['cluster'],
      }),
    ];
  },
});
