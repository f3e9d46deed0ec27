import type { Queryable } from '../../engines/postgres/client.js';
import type { Finding } from '../../findings/finding.js';
import { findingFingerprint } from '../../findings/fingerprint.js';
import { extractStatement } from '../../sql/extract.js';
import { parseRaw } from '../../sql/parser.js';
import type { WorkloadStatement } from '../../workload/types.js';

/** Write activity of one table over the statistics window. */
export interface TableWrites {
  schema: string;
  table: string;
  /** n_tup_ins + n_tup_upd + n_tup_del since the statistics were reset. */
  writes: number;
}

/** Table write counters and the window they cover. */
export interface WriteRates {
  tables: TableWrites[];
  /** Seconds since the statistics were reset (or the server started). */
  windowSeconds: number;
}

/** Thresholds, with documented defaults. */
export interface CacheAdviceOptions {
  /** A statement is considered from this many calls in the window. Default 50. */
  minCalls?: number;
  /** Mean execution time from which caching pays for a cache round trip (~0.2–0.5 ms to Redis), ms. Default 1. */
  minMeanMillis?: number;
  /** Calls per write of the tables read, from which a cache entry lives long enough to pay. Default 10. */
  minReadsPerWrite?: number;
  /** Longest TTL suggested, s. Default 3600. */
  maxTtlSeconds?: number;
}

/** Reads the write counters of user tables and the statistics window. */
export async function readWriteRates(db: Queryable): Promise<WriteRates> {
  const { rows } = await db.query<{ schema: string; table: string; writes: number }>(
    `SELECT schemaname AS schema, relname AS "table", (n_tup_ins + n_tup_upd + n_tup_del)::float8 AS writes
       FROM pg_stat_user_tables`,
  );
  const age = await db.query<{ seconds: number }>(
    `SELECT extract(epoch FROM now() - coalesce(
              (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()),
              pg_postmaster_start_time()))::float8 AS seconds`,
  );
  return {
    tables: rows.map((r) => ({ ...r, writes: Number(r.writes) })),
    windowSeconds: Math.max(1, Number(age.rows[0]?.seconds ?? 1)),
  };
}

const NICE_TTLS = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400];

/** The largest "nice" TTL not above `seconds` (at least 5 s). */
function niceTtl(seconds: number): number {
  let best = NICE_TTLS[0]!;
  for (const t of NICE_TTLS) if (t <= seconds) best = t;
  return best;
}

/**
 * Which statement shapes are worth caching: frequent (calls), costly (mean time above a cache round trip), and
 * reading only tables that are rarely written relative to how often the statement runs. For each: a TTL (half
 * the mean interval between writes of its tables, capped), a key scheme from its parameters, and the tables whose
 * writes must invalidate it. Statements that read a write-heavy table are left out (their hit ratio would be low).
 */
export function adviseCaching(
  statements: readonly WorkloadStatement[],
  rates: WriteRates,
  options: CacheAdviceOptions = {},
): Finding[] {
  const minCalls = options.minCalls ?? 50;
  const minMean = options.minMeanMillis ?? 1;
  const minReadsPerWrite = options.minReadsPerWrite ?? 10;
  const maxTtl = options.maxTtlSeconds ?? 3600;
  const out: Finding[] = [];
  const byName = new Map(rates.tables.map((t) => [t.table, t]));
  const totalTime = statements.reduce((s, x) => s + x.totalTimeMillis, 0) || 1;
  for (const s of statements) {
    if (s.calls < minCalls || s.meanTimeMillis < minMean) continue;
    const parsed = parseRaw(s.query);
    if (!parsed.ok || parsed.stmts.length !== 1) continue;
    const model = extractStatement(parsed.stmts[0]!.stmt);
    if (model.kind !== 'select' || model.write || model.relations.length === 0) continue;
    if (model.relations.some((r) => r.access !== 'read')) continue;
    // Volatile results (now(), random()) are not cacheable as a function of the parameters.
    if (/\b(now|random|clock_timestamp|current_timestamp|nextval)\b/i.test(s.query)) continue;
    const tables = model.relations.map(
      (r) => byName.get(r.name) ?? { schema: r.schema ?? 'public', table: r.name, writes: 0 },
    );
    const writes = tables.reduce((a, t) => a + t.writes, 0);
    const readsPerWrite = writes === 0 ? Number.POSITIVE_INFINITY : s.calls / writes;
    if (readsPerWrite < minReadsPerWrite) continue;
    const writeInterval = writes === 0 ? Number.POSITIVE_INFINITY : rates.windowSeconds / writes;
    const ttl = niceTtl(Math.min(maxTtl, writeInterval / 2));
    const keyParts = model.predicates
      .filter((p) => p.column && (p.value.kind === 'param' || (p.value.kind === 'expr' && p.value.params.length > 0)))
      .map(
        (p) =>
          `${p.column}={${p.value.kind === 'param' ? `$${p.value.index}` : `$${(p.value as { params: number[] }).params[0]}`}}`,
      );
    const others = [model.limit, model.offset]
      .filter((v) => v?.kind === 'param')
      .map((v) => `{$${(v as { index: number }).index}}`);
    const key = [
      `${model.relations.map((r) => r.name).join('+')}`,
      s.fingerprint.slice(0, 8),
      ...keyParts,
      ...others,
    ].join(':');
    // A hit ratio bound: every write of a read table invalidates (at most) the cached entries.
    const hitRatio = writes === 0 ? 1 : Math.max(0, 1 - writes / s.calls);
    const savedMillis = s.totalTimeMillis * hitRatio;
    const invalidatedBy = tables.map((t) => `${t.schema === 'public' ? '' : `${t.schema}.`}${t.table}`);
    out.push({
      ruleId: 'cache-candidate',
      category: 'cache',
      severity: savedMillis / totalTime >= 0.2 ? 'medium' : savedMillis / totalTime >= 0.05 ? 'low' : 'info',
      title: `Cache ${model.relations.map((r) => r.name).join(', ')} lookups: ${s.calls.toLocaleString('en-US')} calls, ${s.meanTimeMillis.toFixed(1)} ms each, ${Number.isFinite(readsPerWrite) ? `${Math.round(readsPerWrite)} reads per write` : 'tables never written'}`,
      summary:
        'A frequent, costly read of rarely written tables: a cache entry keyed on its parameters serves most calls, and the writes to those tables are few enough to invalidate precisely.',
      evidence: {
        query: s.query.length > 300 ? `${s.query.slice(0, 297)}...` : s.query,
        calls: s.calls,
        callsPerSecond: Math.round((s.calls / rates.windowSeconds) * 1000) / 1000,
        meanMillis: Math.round(s.meanTimeMillis * 1000) / 1000,
        totalMillis: Math.round(s.totalTimeMillis),
        rowsPerCall: Math.round((s.rows / Math.max(1, s.calls)) * 100) / 100,
        tables: tables.map((t) => ({
          table: t.table,
          writes: t.writes,
          writesPerSecond: Math.round((t.writes / rates.windowSeconds) * 1000) / 1000,
        })),
        readsPerWrite: Number.isFinite(readsPerWrite) ? Math.round(readsPerWrite * 10) / 10 : null,
        estimatedHitRatio: Math.round(hitRatio * 1000) / 1000,
        estimatedSavedMillis: Math.round(savedMillis),
        ttlSeconds: ttl,
        key,
        invalidatedBy,
        windowSeconds: Math.round(rates.windowSeconds),
      },
      remediation: {
        steps: [
          `Cache the result under "${key}" with a TTL of ${ttl} s.`,
          `Invalidate on every INSERT/UPDATE/DELETE of ${invalidatedBy.join(', ')}${keyParts.length ? ` (the keys whose ${keyParts.map((k) => k.split('=')[0]).join(', ')} match the old and the new row)` : ''}, after the writing transaction commits.`,
          'TTL bounds staleness if an invalidation is lost; keep it even with invalidation.',
        ],
      },
      location: { object: `statement ${s.fingerprint}` },
      fingerprint: findingFingerprint('cache-candidate', s.fingerprint),
    });
  }
  return out.sort((a, b) => (b.evidence.estimatedSavedMillis as number) - (a.evidence.estimatedSavedMillis as number));
}

/**
 * The difference of two readings (statements by fingerprint, tables by name): what happened during a sampling
 * window. Cumulative counters mix in bulk loads and old traffic, and pg_stat_statements and the table counters
 * are reset at different times; a window measured on both at once compares like with like.
 */
export function deltaOf(
  before: { statements: readonly WorkloadStatement[]; rates: WriteRates },
  after: { statements: readonly WorkloadStatement[]; rates: WriteRates },
  windowSeconds: number,
): { statements: WorkloadStatement[]; rates: WriteRates } {
  const prev = new Map(before.statements.map((s) => [s.fingerprint, s]));
  const statements: WorkloadStatement[] = [];
  for (const s of after.statements) {
    const p = prev.get(s.fingerprint);
    const calls = s.calls - (p?.calls ?? 0);
    if (calls <= 0) continue;
    const total = s.totalTimeMillis - (p?.totalTimeMillis ?? 0);
    statements.push({
      ...s,
      calls,
      totalTimeMillis: total,
      meanTimeMillis: total / calls,
      rows: s.rows - (p?.rows ?? 0),
    });
  }
  const prevTables = new Map(before.rates.tables.map((t) => [`${t.schema}.${t.table}`, t.writes]));
  return {
    statements,
    rates: {
      tables: after.rates.tables.map((t) => ({
        ...t,
        writes: Math.max(0, t.writes - (prevTables.get(`${t.schema}.${t.table}`) ?? 0)),
      })),
      windowSeconds,
    },
  };
}
