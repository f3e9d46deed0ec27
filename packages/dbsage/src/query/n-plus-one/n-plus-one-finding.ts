import type { Finding, Severity } from '../../findings/finding.js';
import { findingFingerprint } from '../../findings/fingerprint.js';
import type { NPlusOneLink } from './link.js';
import type { NPlusOneRewrites } from './rewrite.js';
import type { RewriteCheck } from './verify-rewrite.js';

/** The N+1 sources. */
export const N_PLUS_ONE_SOURCES = ['runtime', 'log', 'pg_stat_statements'] as const;
export type NPlusOneSource = (typeof N_PLUS_ONE_SOURCES)[number];

/** Everything an N+1 finding is built from. */
export interface NPlusOneFacts {
  source: NPlusOneSource;
  parentQuery: string;
  parentFingerprint: string;
  childQuery: string;
  childFingerprint: string;
  /** Child executions per parent execution (runtime/log), or child calls (statistics). */
  childCalls: number;
  /** Child time, ms, when known. */
  childTotalMillis: number | null;
  /** Statistics source: parent calls and rows, and calls ÷ rows. */
  parentCalls?: number;
  parentRows?: number;
  ratio?: number;
  /** Where it was seen: request name, trace or session id. */
  seenIn?: string;
  link: NPlusOneLink | null;
  rewrites: NPlusOneRewrites;
  /** Check of the primary rewrite (or of the batch form when there is no primary). */
  check: RewriteCheck | null;
}

const clip = (s: string) => (s.length > 400 ? `${s.slice(0, 397)}...` : s);

function severity(f: NPlusOneFacts): Severity {
  const n = f.childCalls;
  const ms = f.childTotalMillis ?? 0;
  if (n >= 100 || ms >= 500) return 'high';
  if (n >= 20 || ms >= 100) return 'medium';
  return 'low';
}

/**
 * The N+1 finding: which statement is run once per row of which parent, how often and how long, and the rewrite
 * written from the real statements with the result of checking it on the target.
 */
export function nPlusOneFinding(f: NPlusOneFacts): Finding {
  const childTable = f.link?.childTable ?? 'a child table';
  const parentTable = f.link?.parentTable ?? 'the parent statement';
  const primary = f.rewrites.primary ?? f.rewrites.batch;
  const how =
    f.source === 'pg_stat_statements'
      ? `${f.childCalls.toLocaleString('en-US')} calls for ${f.parentRows?.toLocaleString('en-US')} parent rows`
      : `${f.childCalls} times after one parent query${f.childTotalMillis !== null ? `, ${Math.round(f.childTotalMillis)} ms` : ''}`;
  const steps: string[] = [];
  if (f.rewrites.primary) {
    const what =
      f.rewrites.primary.kind === 'json-agg'
        ? `Load ${parentTable} with their ${childTable} in one query: LEFT JOIN + json_agg (one row per parent, children as a JSON array).`
        : f.rewrites.primary.kind === 'join'
          ? `Join ${childTable} to ${parentTable} in the parent query (one row each).`
          : `Fetch the first rows of ${childTable} per parent in one query with LEFT JOIN LATERAL.`;
    steps.push(what, `Parameters: ${f.rewrites.primary.params}.`);
  }
  if (f.rewrites.batch)
    steps.push(`Or keep two queries and batch the child (${f.rewrites.batch.params}):\n${f.rewrites.batch.sql}`);
  if (!primary)
    steps.push('Load the children for all parents at once (a join, `= ANY($1)`, or the ORM’s eager loading).');
  if (f.rewrites.reason) steps.push(`No single-query rewrite: ${f.rewrites.reason}.`);
  return {
    ruleId: 'n-plus-one',
    category: 'query',
    severity: severity(f),
    title: `N+1: ${childTable} queried once per ${parentTable} row (${how})`,
    summary:
      'The application runs the same query once for every row of a previous query, paying a round trip and a plan each time; one query (or one batched query) returns the same rows.',
    evidence: {
      source: f.source,
      parentQuery: clip(f.parentQuery),
      childQuery: clip(f.childQuery),
      childCalls: f.childCalls,
      ...(f.childTotalMillis !== null ? { childTotalMillis: Math.round(f.childTotalMillis * 100) / 100 } : {}),
      ...(f.parentCalls !== undefined ? { parentCalls: f.parentCalls } : {}),
      ...(f.parentRows !== undefined ? { parentRows: f.parentRows } : {}),
      ...(f.ratio !== undefined ? { callsPerParentRow: Math.round(f.ratio * 100) / 100 } : {}),
      ...(f.seenIn ? { seenIn: f.seenIn } : {}),
      link: f.link
        ? {
            kind: f.link.kind,
            child: `${f.link.childTable}.${f.link.childColumn}`,
            parent: `${f.link.parentTable}.${f.link.parentColumn}`,
            evidence: f.link.evidence,
            constraint: f.link.constraint,
          }
        : null,
      rewrite: primary ? primary.kind : null,
      rewriteCheck: f.check,
    },
    remediation: { ...(primary ? { sql: primary.sql } : {}), steps },
    location: { object: `${parentTable} → ${childTable}` },
    fingerprint: findingFingerprint('n-plus-one', f.parentFingerprint, f.childFingerprint),
  };
}
