import { qualifiedName } from '../../engines/postgres/quote.js';
import type { Finding } from '../../findings/finding.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb, maxSeverity } from '../severity.js';
import { USER_SCHEMAS } from '../sources.js';
import { doctorState, query } from '../state.js';
import { formatBytes, round } from '../units.js';

interface Estimate {
  oid: number;
  schema: string;
  name: string;
  relpages: number;
  expectedPages: number;
  blockSize: number;
  sizeBytes: number;
  rows: number;
  fillfactor: number;
  tupleBytes: number;
}

/**
 * `table-bloat`: tables much larger than their live rows need. First a statistics estimate for every table in one
 * query (rows × estimated tuple width over usable page space at the table's fillfactor):
 *   tuple = MAXALIGN(23-byte header + null bitmap) + MAXALIGN(Σ avg_width × (1 − null_frac)) + 4-byte line pointer
 *   usable page = (block_size − 24-byte page header) × fillfactor
 * Tables with a column lacking pg_stats are left out and listed, never guessed. Then, when pgstattuple is
 * installed and readable, the top candidates are measured with pgstattuple_approx (dead + free space, reading
 * only pages not marked all-visible), bounded by `maxApproxTables` and `maxApproxBytes`.
 */
export const tableBloat = defineCheck({
  id: 'table-bloat',
  category: 'health',
  watchRefresh: 'estimates',
  description: 'Table bloat: statistics estimate, measured with pgstattuple_approx when available',
  timeoutMillis: 30_000,
  options: {
    minBloatPercent: {
      type: 'number',
      default: 40,
      min: 0,
      description: 'bloat (% of the table) from which it is reported (low)',
    },
    mediumBloatPercent: { type: 'number', default: 60, min: 0, description: 'bloat % from which severity is medium' },
    minBloatBytes: {
      type: 'number',
      default: 10 * 1024 * 1024,
      min: 0,
      description: 'wasted bytes below which a table is ignored (accepts 10MB)',
    },
    highBloatBytes: {
      type: 'number',
      default: 10 * 1024 ** 3,
      min: 0,
      description: 'wasted bytes from which severity is high (accepts 10GB)',
    },
    useApprox: {
      type: 'boolean',
      default: true,
      description: 'measure candidates with pgstattuple_approx when the extension is installed',
    },
    maxApproxTables: {
      type: 'number',
      default: 10,
      min: 0,
      description: 'tables measured with pgstattuple_approx at most',
    },
    maxApproxBytes: {
      type: 'number',
      default: 10 * 1024 ** 3,
      min: 0,
      description: 'larger tables are not measured, only estimated (accepts 10GB)',
    },
  },
  limitations: [
    { without: 'stat_scan_tables', effect: 'pgstattuple_approx cannot measure tables; statistics estimates only' },
    { without: 'superuser', effect: 'pg_stats of tables the user cannot read are hidden, so those tables are skipped' },
  ],
  async run(ctx, o) {
    const rows = await query<Record<string, unknown>>(
      ctx,
      `WITH t AS (
         SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relpages::float8 AS relpages,
                GREATEST(c.reltuples, 0)::float8 AS reltuples, current_setting('block_size')::float8 AS bs,
                COALESCE((SELECT substring(opt FROM '=(\\d+)')::float8 FROM unnest(c.reloptions) opt
                           WHERE opt LIKE 'fillfactor=%'), 100) AS fillfactor
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'm') AND c.relpages > 8 AND ${USER_SCHEMAS}
       ), cols AS (
         SELECT t.oid, count(*) AS ncols, count(s.attname) AS with_stats,
                sum(COALESCE(s.avg_width, 0) * (1 - COALESCE(s.null_frac, 0)))::float8 AS data_width,
                bool_or(COALESCE(s.null_frac, 0) > 0) AS has_nulls,
                array_agg(a.attname::text) FILTER (WHERE s.attname IS NULL) AS no_stats
           FROM t
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
           LEFT JOIN pg_stats s ON s.schemaname = t.schema AND s.tablename = t.name AND s.attname = a.attname
                               AND NOT s.inherited
          GROUP BY t.oid
       )
       SELECT t.oid::int8 AS oid, t.schema, t.name, t.relpages, t.reltuples, t.bs, t.fillfactor,
              cols.with_stats = cols.ncols AS complete, cols.no_stats,
              pg_relation_size(t.oid) AS size_bytes,
              ceil((23 + CASE WHEN cols.has_nulls THEN ceil(cols.ncols / 8.0) ELSE 0 END) / 8) * 8
                + ceil(cols.data_width / 8) * 8 + 4 AS tuple_bytes
         FROM t JOIN cols ON cols.oid = t.oid`,
    );
    const skipped: { name: string; pages: number }[] = [];
    const estimates: Estimate[] = [];
    for (const r of rows) {
      if (!r.complete) {
        skipped.push({ name: `${String(r.schema)}.${String(r.name)}`, pages: Number(r.relpages) });
        continue;
      }
      const bs = Number(r.bs);
      const fillfactor = Number(r.fillfactor);
      const tupleBytes = Number(r.tuple_bytes);
      const perPage = Math.max(1, Math.floor(((bs - 24) * fillfactor) / 100 / tupleBytes));
      estimates.push({
        oid: Number(r.oid),
        schema: String(r.schema),
        name: String(r.name),
        relpages: Number(r.relpages),
        expectedPages: Math.ceil(Number(r.reltuples) / perPage),
        blockSize: bs,
        sizeBytes: Number(r.size_bytes),
        rows: Number(r.reltuples),
        fillfactor,
        tupleBytes,
      });
    }
    const estimated = estimates
      .map((e) => {
        const wasted = Math.max(0, e.relpages - e.expectedPages) * e.blockSize;
        return { e, wasted, percent: e.relpages > 0 ? (wasted / (e.relpages * e.blockSize)) * 100 : 0 };
      })
      .filter((x) => x.percent >= o.minBloatPercent && x.wasted >= o.minBloatBytes)
      .sort((a, b) => b.wasted - a.wasted);

    // Measure the top candidates, in one query, when pgstattuple is there.
    const measured = new Map<
      number,
      { deadPercent: number; freePercent: number; scannedPercent: number; tableLen: number }
    >();
    let approxError: string | null = null;
    const hasPgstattuple = ctx.capabilities ? 'pgstattuple' in ctx.capabilities.installedExtensions : false;
    if (o.useApprox && hasPgstattuple) {
      const targets = estimated.filter((x) => x.e.sizeBytes <= o.maxApproxBytes).slice(0, o.maxApproxTables);
      if (targets.length > 0) {
        try {
          const m = await query<Record<string, unknown>>(
            ctx,
            `SELECT u.oid::int8 AS oid, a.table_len, a.scanned_percent, a.dead_tuple_percent, a.approx_free_percent
               FROM unnest($1::oid[]) AS u(oid), LATERAL pgstattuple_approx(u.oid::regclass) a`,
            [targets.map((x) => x.e.oid)],
          );
          for (const r of m) {
            measured.set(Number(r.oid), {
              deadPercent: Number(r.dead_tuple_percent),
              freePercent: Number(r.approx_free_percent),
              scannedPercent: Number(r.scanned_percent),
              tableLen: Number(r.table_len),
            });
          }
        } catch (error) {
          approxError = error instanceof Error ? error.message : String(error);
        }
      }
    }

    const findings: Finding[] = [];
    for (const { e, wasted: estWasted, percent: estPercent } of estimated) {
      const m = measured.get(e.oid);
      // Free space the fillfactor reserves on purpose is not bloat.
      const reserved = 100 - e.fillfactor;
      const percent = m ? Math.max(0, m.deadPercent + m.freePercent - reserved) : estPercent;
      const wasted = m ? (m.tableLen * percent) / 100 : estWasted;
      if (percent < o.minBloatPercent || wasted < o.minBloatBytes) continue;
      const severity =
        maxSeverity(
          climb(percent, { low: o.minBloatPercent, medium: o.mediumBloatPercent }),
          climb(wasted, { high: o.highBloatBytes }),
        ) ?? 'low';
      const table = qualifiedName(e.schema, e.name);
      findings.push(
        makeFinding({
          ruleId: 'table-bloat',
          category: 'health',
          severity,
          title: `${table} is ~${round(percent, 0)}% bloat (~${formatBytes(wasted)} of ${formatBytes(e.sizeBytes)})`,
          summary:
            'Dead tuples and free space make this table larger than its live rows need: scans read and cache empty space. VACUUM makes dead space reusable; only a rewrite (pg_repack, or VACUUM FULL under an exclusive lock) returns it to the operating system.',
          evidence: {
            table: `${e.schema}.${e.name}`,
            sizeBytes: e.sizeBytes,
            bloatPercent: round(percent, 1),
            wastedBytes: Math.round(wasted),
            method: m ? 'pgstattuple_approx' : 'statistics estimate',
            ...(m
              ? { deadTuplePercent: m.deadPercent, freePercent: m.freePercent, scannedPercent: m.scannedPercent }
              : {}),
            estimatedBloatPercent: round(estPercent, 1),
            pages: e.relpages,
            expectedPages: e.expectedPages,
            rows: e.rows,
            estimatedTupleBytes: e.tupleBytes,
            fillfactor: e.fillfactor,
            ...(approxError ? { approxUnavailable: approxError } : {}),
          },
          remediation: {
            sql: `VACUUM (ANALYZE) ${table};`,
            steps: [
              'VACUUM makes the space reusable by new rows without blocking; the file does not shrink.',
              `To shrink it: pg_repack (online), or VACUUM FULL ${table}; (ACCESS EXCLUSIVE lock for the whole rewrite).`,
            ],
          },
          object: `table ${e.schema}.${e.name}`,
          identity: [e.schema, e.name],
        }),
      );
    }
    if (skipped.length > 0) {
      const largest = [...skipped].sort((a, b) => b.pages - a.pages).slice(0, 3);
      doctorState(ctx).notes.add(
        `table-bloat: ${skipped.length} table(s) have columns without statistics and were not estimated (largest: ${largest.map((t) => t.name).join(', ')}); ANALYZE them.`,
      );
    }
    return findings;
  },
});
