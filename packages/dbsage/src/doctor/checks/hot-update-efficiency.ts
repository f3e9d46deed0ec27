import { qualifiedName } from '../../engines/postgres/quote.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { candidateTables } from '../sources.js';
import { formatCount, percent } from '../units.js';

/**
 * `hot-update-efficiency`: update-heavy tables where few updates are HOT (heap-only tuple: the new row version
 * fits on the same page and no indexed column changed, so no index is touched). Non-HOT updates write every
 * index and bloat them. Two causes: an indexed column is updated, or pages are full (fillfactor 100).
 */
export const hotUpdateEfficiency = defineCheck({
  id: 'hot-update-efficiency',
  category: 'health',
  watchRefresh: 'counters',
  description: 'Update-heavy tables with a low share of HOT updates',
  options: {
    minUpdates: { type: 'number', default: 10_000, min: 0, description: 'updates needed before a table is judged' },
    lowHotPercent: {
      type: 'number',
      default: 50,
      min: 0,
      description: 'HOT share below which a table is reported (low)',
    },
    mediumHotPercent: { type: 'number', default: 10, min: 0, description: 'HOT share below which severity is medium' },
    mediumUpdates: {
      type: 'number',
      default: 1_000_000,
      min: 0,
      description: 'updates from which a low HOT share is at least medium',
    },
    maxFindings: { type: 'number', default: 20, min: 1, description: 'tables reported at most' },
  },
  tableNeed: (o) => ({ minUpdates: o.minUpdates }),
  async run(ctx, o) {
    return (await candidateTables(ctx, 'hot-update-efficiency'))
      .filter((t) => t.relkind === 'r' && t.nTupUpd >= o.minUpdates)
      .map((t) => ({ t, hot: percent(t.nTupHotUpd, t.nTupUpd) }))
      .filter(({ hot }) => hot < o.lowHotPercent)
      .sort((a, b) => b.t.nTupUpd - b.t.nTupHotUpd - (a.t.nTupUpd - a.t.nTupHotUpd))
      .slice(0, o.maxFindings)
      .map(({ t, hot }) => {
        let severity = climb(100 - hot, { low: 100 - o.lowHotPercent, medium: 100 - o.mediumHotPercent }) ?? 'low';
        if (severity === 'low' && t.nTupUpd >= o.mediumUpdates) severity = 'medium';
        const fillfactor = Number(t.reloptions.fillfactor ?? 100);
        return makeFinding({
          ruleId: 'hot-update-efficiency',
          category: 'health',
          severity,
          title: `${qualifiedName(t.schema, t.name)}: only ${hot}% of ${formatCount(t.nTupUpd)} updates are HOT`,
          summary:
            'Updates that are not HOT write a new entry in every index of the table, which costs I/O and bloats the indexes. Leave free space on pages (fillfactor) and avoid indexing columns that change often.',
          evidence: {
            table: `${t.schema}.${t.name}`,
            updates: t.nTupUpd,
            hotUpdates: t.nTupHotUpd,
            hotPercent: hot,
            fillfactor,
            tableBytes: t.tableBytes,
          },
          remediation: {
            sql:
              fillfactor >= 100 ? `ALTER TABLE ${qualifiedName(t.schema, t.name)} SET (fillfactor = 90);` : undefined,
            steps: [
              'Check which updated columns are indexed: an update of any indexed column can never be HOT.',
              'A new fillfactor applies to pages written from now on; existing pages change only after a rewrite (pg_repack, VACUUM FULL).',
            ],
          },
          object: `table ${t.schema}.${t.name}`,
          identity: [t.schema, t.name],
        });
      });
  },
});
