import { qualifiedName } from '../../engines/postgres/quote.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { capSeverity, climb } from '../severity.js';
import { databaseStats, type IndexShape, indexes, indexShapesByOid, measureIndexes, USER_SCHEMAS } from '../sources.js';
import { doctorState, statsQuery } from '../state.js';
import { formatBytes, percent, round } from '../units.js';

/**
 * `unused-index`: indexes with (almost) no scans since statistics began. Never reported: primary keys, unique
 * and exclusion indexes (they enforce constraints even when never scanned), replica-identity indexes, and
 * invalid ones (see invalid-index). Scans on standbys are not counted on the primary, so check replicas before
 * dropping. Severity climbs with the index size, absolute and relative to its table, and is capped at `info`
 * while the counters cover less than `minStatsAgeDays`.
 */
export const unusedIndex = defineCheck({
  id: 'unused-index',
  category: 'index',
  watchRefresh: 'counters',
  description: 'Indexes never (or rarely) scanned, excluding PK, unique, exclusion and replica-identity indexes',
  options: {
    maxScans: { type: 'number', default: 0, min: 0, description: 'scans at or below which an index counts as unused' },
    minBytes: {
      type: 'number',
      default: 1024 * 1024,
      min: 0,
      description: 'indexes smaller than this are ignored (accepts 1MB)',
    },
    mediumBytes: {
      type: 'number',
      default: 100 * 1024 * 1024,
      min: 0,
      description: 'size from which severity is medium (accepts 100MB)',
    },
    highBytes: {
      type: 'number',
      default: 10 * 1024 ** 3,
      min: 0,
      description: 'size from which severity is high (accepts 10GB)',
    },
    mediumPercentOfTable: {
      type: 'number',
      default: 50,
      min: 0,
      description: 'index size as a % of its table from which severity is medium (tables over 10 MB)',
    },
    minStatsAgeDays: {
      type: 'number',
      default: 7,
      min: 0,
      description: 'counters younger than this cap severity at info',
    },
  },
  async run(ctx, o) {
    const db = await databaseStats(ctx);
    const statsDays = db.windowSeconds === null ? null : db.windowSeconds / 86_400;
    const young = statsDays !== null && statsDays < o.minStatsAgeDays;
    // pg_class sizes can lag behind the file: keep anything within half of the floor, then measure.
    const floorBytes = o.minBytes / 2;
    let candidates: IndexShape[];
    if (doctorState(ctx).baseline) {
      // Under --since the scans of the window decide, which needs every index's counter.
      candidates = (await indexes(ctx)).filter(
        (i) =>
          i.valid &&
          !i.primary &&
          !i.unique &&
          !i.exclusion &&
          !i.replicaIdentity &&
          i.scans <= o.maxScans &&
          i.sizeBytes >= floorBytes,
      );
    } else {
      // Lifetime counters: the server picks the few candidates, instead of shipping every index's numbers.
      // One scan of pg_class (user indexes live in their table's schema); the flags come from the shapes.
      const rows = await statsQuery<{ oid: number }>(
        ctx,
        `SELECT c.oid::int8 AS oid
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'i' AND ${USER_SCHEMAS}   -- i: index
            -- the size first (most indexes of a big catalog are small), the scan counter only for the others
            AND CASE WHEN CASE WHEN c.relpages = 0 THEN pg_relation_size(c.oid)
                               ELSE c.relpages::int8 * current_setting('block_size')::int8 END >= $2
                     THEN pg_stat_get_numscans(c.oid) <= $1 ELSE false END`,
        [o.maxScans, floorBytes],
      );
      const shapes = await indexShapesByOid(ctx);
      // An index created after the shapes were read waits for the next run.
      candidates = rows
        .map((r) => shapes.get(Number(r.oid)))
        .filter(
          (i): i is IndexShape => i?.valid === true && !i.primary && !i.unique && !i.exclusion && !i.replicaIdentity,
        );
    }
    const measured = await measureIndexes(ctx, candidates);
    return [...measured.values()]
      .filter((i) => i.sizeBytes >= o.minBytes)
      .sort((a, b) => b.sizeBytes - a.sizeBytes)
      .map((i) => {
        const ofTable = i.tableBytes > 0 ? percent(i.sizeBytes, i.tableBytes) : null;
        let severity = climb(i.sizeBytes, { low: 0, medium: o.mediumBytes, high: o.highBytes }) ?? 'low';
        if (
          severity === 'low' &&
          ofTable !== null &&
          i.tableBytes >= 10 * 1024 * 1024 &&
          ofTable >= o.mediumPercentOfTable
        ) {
          severity = 'medium';
        }
        if (young) severity = capSeverity(severity, 'info');
        return makeFinding({
          ruleId: 'unused-index',
          category: 'index',
          severity,
          title: `Index ${qualifiedName(i.schema, i.name)} on ${qualifiedName(i.schema, i.table)} has ${i.scans} scans (${formatBytes(i.sizeBytes)})`,
          summary:
            'This index is maintained on every write to its table and takes space in memory and backups, but queries do not use it. Drop it if replicas and rare jobs (month-end reports) do not need it either.',
          evidence: {
            index: `${i.schema}.${i.name}`,
            table: `${i.schema}.${i.table}`,
            scans: i.scans,
            sizeBytes: i.sizeBytes,
            percentOfTableSize: ofTable,
            tableWrites: i.tableWrites,
            definition: i.definition,
            statsSince: db.isWindow ? 'snapshot' : (db.statsReset ?? 'never reset'),
            statsAgeDays: statsDays === null ? null : round(statsDays, 1),
            countersTooYoung: young,
          },
          remediation: {
            sql: `DROP INDEX CONCURRENTLY ${qualifiedName(i.schema, i.name)};`,
            steps: [
              'Check pg_stat_user_indexes on every replica first: scans there are not counted here.',
              `Keep the definition to recreate it if needed: ${(i.definition ?? '').replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX CONCURRENTLY ')};`,
            ],
          },
          object: `index ${i.schema}.${i.name}`,
          identity: [i.schema, i.name],
        });
      });
  },
});
