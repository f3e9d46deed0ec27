import { qualifiedName } from '../../engines/postgres/quote.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb, maxSeverity } from '../severity.js';
import { USER_SCHEMAS } from '../sources.js';
import { query } from '../state.js';
import { formatBytes, round } from '../units.js';

/**
 * `index-bloat`: B-tree indexes much larger than their entries need, estimated from statistics (no index is
 * read). The expected size is rows × entry size over the usable leaf page space at the index's fillfactor:
 *   entry = MAXALIGN(8-byte tuple header + 4-byte null bitmap when the keys have NULLs + Σ avg_width × (1 − null_frac)) + 4-byte line pointer
 *   usable page = (block_size − 24-byte page header − 16-byte B-tree special space) × fillfactor
 * Expression indexes and indexes with a key column lacking pg_stats are left out (no basis for an estimate).
 * Random-order inserts leave B-tree pages about 70 % full, so the default threshold is well above that.
 */
export const indexBloat = defineCheck({
  id: 'index-bloat',
  category: 'index',
  watchRefresh: 'estimates',
  description: 'B-tree index bloat estimated from statistics',
  options: {
    minBloatPercent: {
      type: 'number',
      default: 50,
      min: 0,
      description: 'estimated bloat (% of the index) from which it is reported (low)',
    },
    mediumBloatPercent: { type: 'number', default: 70, min: 0, description: 'bloat % from which severity is medium' },
    minBloatBytes: {
      type: 'number',
      default: 10 * 1024 * 1024,
      min: 0,
      description: 'estimated wasted bytes below which an index is ignored (accepts 10MB)',
    },
    highBloatBytes: {
      type: 'number',
      default: 10 * 1024 ** 3,
      min: 0,
      description: 'wasted bytes from which severity is high (accepts 10GB)',
    },
  },
  async run(ctx, o) {
    const rows = await query<Record<string, unknown>>(
      ctx,
      `WITH idx AS (
         SELECT i.indexrelid, i.indrelid, n.nspname AS schema, t.relname AS table_name, c.relname AS name,
                c.relpages::float8 AS relpages, GREATEST(c.reltuples, 0)::float8 AS reltuples,
                current_setting('block_size')::float8 AS bs,
                COALESCE((SELECT substring(opt FROM '=(\\d+)')::float8 FROM unnest(c.reloptions) opt
                           WHERE opt LIKE 'fillfactor=%'), 90) AS fillfactor,
                i.indkey::int2[] AS attnums, i.indnkeyatts
           FROM pg_index i
           JOIN pg_class c ON c.oid = i.indexrelid
           JOIN pg_class t ON t.oid = i.indrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
           JOIN pg_am am ON am.oid = c.relam
          WHERE am.amname = 'btree' AND i.indexprs IS NULL AND i.indisvalid AND c.relpages > 8
            AND t.relkind IN ('r', 'm') AND ${USER_SCHEMAS}
       ), cols AS (
         SELECT idx.indexrelid, count(*) AS ncols, count(s.attname) AS with_stats,
                sum(COALESCE(s.avg_width, 0) * (1 - COALESCE(s.null_frac, 0)))::float8 AS data_width,
                bool_or(COALESCE(s.null_frac, 0) > 0) AS has_nulls
           FROM idx
           CROSS JOIN LATERAL unnest(idx.attnums) AS k(attnum)
           JOIN pg_attribute a ON a.attrelid = idx.indrelid AND a.attnum = k.attnum
           LEFT JOIN pg_stats s ON s.schemaname = idx.schema AND s.tablename = idx.table_name
                               AND s.attname = a.attname AND NOT s.inherited
          GROUP BY idx.indexrelid
       ), est AS (
         SELECT idx.*, cols.data_width, cols.has_nulls,
                -- MAXALIGN(8) of header + null bitmap + data, plus the 4-byte line pointer
                (ceil((8 + CASE WHEN cols.has_nulls THEN 4 ELSE 0 END + cols.data_width) / 8) * 8 + 4) AS entry_bytes
           FROM idx JOIN cols ON cols.indexrelid = idx.indexrelid
          WHERE cols.with_stats = cols.ncols
       )
       SELECT schema, table_name, name, relpages, reltuples, bs, fillfactor, entry_bytes,
              pg_relation_size(indexrelid) AS size_bytes,
              -- leaf pages + one meta page + internal pages (one per leaf page's worth of downlinks)
              ceil(reltuples * entry_bytes / ((bs - 24 - 16) * fillfactor / 100)) + 1
                + ceil(ceil(reltuples * entry_bytes / ((bs - 24 - 16) * fillfactor / 100)) * 16 / (bs - 40)) AS expected_pages
         FROM est`,
    );
    const out = [];
    for (const r of rows) {
      const relpages = Number(r.relpages);
      const expected = Number(r.expected_pages);
      const bs = Number(r.bs);
      const wastedPages = relpages - expected;
      if (relpages <= 0 || wastedPages <= 0) continue;
      const bloatPercent = (wastedPages / relpages) * 100;
      const wastedBytes = wastedPages * bs;
      if (bloatPercent < o.minBloatPercent || wastedBytes < o.minBloatBytes) continue;
      const severity =
        maxSeverity(
          climb(bloatPercent, { low: o.minBloatPercent, medium: o.mediumBloatPercent }),
          climb(wastedBytes, { high: o.highBloatBytes }),
        ) ?? 'low';
      const schema = String(r.schema);
      const name = String(r.name);
      out.push(
        makeFinding({
          ruleId: 'index-bloat',
          category: 'index',
          severity,
          title: `Index ${qualifiedName(schema, name)} is ~${round(bloatPercent, 0)}% bloat (~${formatBytes(wastedBytes)} wasted)`,
          summary:
            'The index has many more pages than its entries need (after mass deletes or updates), so scans read and cache mostly empty space. REINDEX CONCURRENTLY rebuilds it compactly without blocking writes.',
          evidence: {
            index: `${schema}.${name}`,
            table: `${schema}.${String(r.table_name)}`,
            sizeBytes: Number(r.size_bytes),
            pages: relpages,
            expectedPages: expected,
            estimatedBloatPercent: round(bloatPercent, 1),
            estimatedWastedBytes: Math.round(wastedBytes),
            rows: Number(r.reltuples),
            entryBytes: Number(r.entry_bytes),
            fillfactor: Number(r.fillfactor),
            method: 'statistics estimate (pg_stats avg_width, null_frac)',
          },
          remediation: { sql: `REINDEX INDEX CONCURRENTLY ${qualifiedName(schema, name)};` },
          object: `index ${schema}.${name}`,
          identity: [schema, name],
        }),
      );
    }
    return out;
  },
});
