import { findTable } from '../../catalog/lookup.js';
import type { Catalog } from '../../catalog/types.js';
import type { PgClient } from '../../engines/postgres/client.js';
import type { Finding } from '../../findings/finding.js';
import type { Workload, WorkloadEvent } from '../../workload/types.js';
import { detectFromStatements, type StatementPairingOptions, type StatementStat } from './detect-statements.js';
import { detectInStream, type NPlusOneRuleOptions, type StreamEvent } from './detect-stream.js';
import type { NPlusOneLink } from './link.js';
import { type NPlusOneFacts, type NPlusOneSource, nPlusOneFinding } from './n-plus-one-finding.js';
import { resolveLink } from './resolve-link.js';
import { generateRewrites, type NPlusOneRewrites } from './rewrite.js';
import { selectParts } from './statement-parts.js';
import { type RewriteCheck, verifyRewrite } from './verify-rewrite.js';

/** What the N+1 finders may use. */
export interface NPlusOneEnvironment {
  /** The target: rewrites are checked on it (parse + plan, read-only). */
  client?: PgClient;
  /** Foreign keys and columns: the most reliable link between parent and child. */
  catalog?: Catalog;
}

/** Columns of the parent's table when the parent selects `*` (GROUP BY needs them spelled out). */
function starColumns(parentSql: string, catalog: Catalog | undefined): string[] | undefined {
  const parts = selectParts(parentSql);
  if (!catalog || !parts?.outputs.some((o) => o.star) || parts.from.length !== 1) return undefined;
  const t = parts.from[0]!.table
    ? findTable(catalog, parts.from[0]!.table, parts.from[0]!.schema ?? undefined)
    : undefined;
  return t?.columns.map((c) => c.name);
}

async function rewriteAndCheck(
  parentSql: string,
  childSql: string,
  link: NPlusOneLink | null,
  env: NPlusOneEnvironment,
): Promise<{ rewrites: NPlusOneRewrites; check: RewriteCheck | null }> {
  if (!link)
    return {
      rewrites: { primary: null, batch: null, reason: 'no link between the two statements could be shown' },
      check: null,
    };
  const parentColumns = starColumns(parentSql, env.catalog);
  const rewrites = generateRewrites(parentSql, childSql, link, parentColumns ? { parentColumns } : {});
  const sql = rewrites.primary?.sql ?? rewrites.batch?.sql;
  return { rewrites, check: sql ? await verifyRewrite(env.client, sql) : null };
}

/**
 * N+1 from cumulative statistics (pg_stat_statements or a workload): pairs each frequent child with the parent
 * whose rows it is called for, then writes and checks the rewrite.
 */
export async function findNPlusOneFromStatements(
  stats: readonly StatementStat[],
  env: NPlusOneEnvironment = {},
  options: StatementPairingOptions = {},
): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const pair of detectFromStatements(stats, env.catalog, options)) {
    const { rewrites, check } = await rewriteAndCheck(pair.parent.query, pair.child.query, pair.link, env);
    out.push(
      nPlusOneFinding({
        source: 'pg_stat_statements',
        parentQuery: pair.parent.query,
        parentFingerprint: pair.parent.fingerprint,
        childQuery: pair.child.query,
        childFingerprint: pair.child.fingerprint,
        childCalls: pair.child.calls,
        childTotalMillis: pair.child.totalMillis,
        parentCalls: pair.parent.calls,
        parentRows: pair.parent.rows,
        ratio: pair.ratio,
        link: pair.link,
        rewrites,
        check,
      }),
    );
  }
  return out;
}

/** One request, trace or session: its statements in order. */
export interface EventStream {
  /** Request name, trace id or session id (shown in the finding). */
  id: string;
  events: readonly StreamEvent[];
}

/**
 * N+1 from per-request streams (runtime instrumentation, or logs with session/trace ids): applies the rule to
 * each stream, merges the same parent/child pair seen in several streams (keeping the worst occurrence), writes
 * and checks the rewrite once per pair.
 */
export async function findNPlusOneInStreams(
  streams: readonly EventStream[],
  source: Exclude<NPlusOneSource, 'pg_stat_statements'>,
  env: NPlusOneEnvironment = {},
  rule: NPlusOneRuleOptions = {},
): Promise<Finding[]> {
  const pairs = new Map<
    string,
    {
      facts: Omit<NPlusOneFacts, 'rewrites' | 'check' | 'link'>;
      parentRows: StreamEvent['rows'];
      params: (readonly unknown[] | null)[];
      seen: number;
    }
  >();
  for (const stream of streams) {
    for (const hit of detectInStream(stream.events, rule)) {
      const key = `${hit.parent.fingerprint}\u0000${hit.child.fingerprint}`;
      const existing = pairs.get(key);
      if (existing) {
        existing.seen++;
        if (hit.child.count <= existing.facts.childCalls) continue;
      }
      pairs.set(key, {
        facts: {
          source,
          parentQuery: hit.parent.query,
          parentFingerprint: hit.parent.fingerprint,
          childQuery: hit.child.query,
          childFingerprint: hit.child.fingerprint,
          childCalls: hit.child.count,
          childTotalMillis: hit.child.totalMillis,
          seenIn: stream.id,
        },
        parentRows: hit.parent.rows ?? null,
        params: hit.child.params,
        seen: (existing?.seen ?? 0) + 1,
      });
    }
  }
  const out: Finding[] = [];
  for (const { facts, parentRows, params, seen } of pairs.values()) {
    const link = resolveLink(facts.parentQuery, facts.childQuery, {
      ...(env.catalog ? { catalog: env.catalog } : {}),
      ...(parentRows ? { parentRows } : {}),
      childParams: params,
    });
    const { rewrites, check } = await rewriteAndCheck(facts.parentQuery, facts.childQuery, link, env);
    const finding = nPlusOneFinding({ ...facts, link, rewrites, check });
    finding.evidence.streamsWithIt = seen;
    out.push(finding);
  }
  return out;
}

/**
 * Statement statistics from a workload (pg_stat_statements via the workload loader, a log, a replay): the
 * statistics-based pairing needs calls, rows and time per shape.
 */
export function statsFromWorkload(workload: Workload): StatementStat[] {
  return workload.statements.map((w) => ({
    fingerprint: w.fingerprint,
    query: w.query,
    calls: w.calls,
    rows: w.rows,
    totalMillis: w.totalTimeMillis,
  }));
}

/**
 * Streams from a log's per-session (or per-trace) events ({@link loadLogSessions}): the same rule as at run time,
 * with the log's durations when it has them.
 */
export function streamsFromLogSessions(sessions: ReadonlyMap<string, readonly WorkloadEvent[]>): EventStream[] {
  return [...sessions].map(([id, events]) => ({
    id,
    events: events.map((e) => ({
      fingerprint: e.fingerprint,
      query: e.text,
      params: e.params,
      durationMillis: e.durationMillis,
    })),
  }));
}
