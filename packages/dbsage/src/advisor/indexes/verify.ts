import type { PgClient, Queryable } from '../../engines/postgres/client.js';
import { qualifiedName } from '../../engines/postgres/quote.js';
import { CapabilityError } from '../../errors.js';
import type { AdvisorResult } from './advise.js';
import { candidateDdl, extensionDdl } from './candidate.js';
import { indexesUsed, type PlanNode, summarize } from './plan.js';
import type { AdvisorStatement } from './statements.js';

/**
 * `--verify`: proves the advice by measurement. Inside one transaction that is always rolled back (embedded, or a
 * scratch server), every SELECT of the workload runs with its representative parameters — one warm-up, then the
 * median of `runs` executions (`EXPLAIN (ANALYZE, TIMING OFF)` execution time, so client round trips do not
 * count) — then the recommended indexes are built for real, the tables ANALYZEd, and every statement measured
 * again. Each index's measured gain is compared with its predicted gain, and a statement whose plan changed and
 * that got slower by more than 2 % is flagged.
 */

/** Options of verification. */
export interface VerifyOptions {
  /** Measured executions per statement and side (median taken; default 3, at least 3). */
  runs?: number;
  /** Allow building on a server (it must be a scratch copy). */
  scratch?: boolean;
  /** A statement counts as regressed when slower by more than this fraction (default 0.02)… */
  regressionFraction?: number;
  /** …and by more than this many ms, below which timer noise dominates (default 0.05). */
  regressionMinMillis?: number;
  /** A recommendation is confirmed when measured gain ≥ this fraction of predicted gain (default 0.5). */
  confirmFraction?: number;
  onProgress?: (label: string, fraction?: number) => void;
}

/** Verification of one statement. */
export interface VerifiedStatement {
  id: string;
  query: string;
  runs: number;
  millisBefore: number;
  millisAfter: number;
  indexesBefore: string[];
  indexesAfter: string[];
  planChanged: boolean;
  regressed: boolean;
}

/** Verification of one recommended index. */
export interface VerifiedIndex {
  name: string;
  /** Σ over its statements of weight × (1 − planner cost after / before). */
  predictedGain: number;
  /** Σ over its statements of weight × (1 − measured ms after / before). */
  measuredGain: number;
  ratio: number;
  confirmed: boolean;
  millisBefore: number;
  millisAfter: number;
}

/** The verification report. */
export interface VerifyReport {
  runs: number;
  statements: VerifiedStatement[];
  indexes: VerifiedIndex[];
  /** Statements not measured (writes, no representative parameters) with the reason. */
  skipped: { id: string; reason: string }[];
  wallMillis: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function measure(
  tx: Queryable,
  st: AdvisorStatement,
  runs: number,
): Promise<{ millis: number; indexes: string[] }> {
  const sql = `EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ${st.sql.replace(/[\s;]+$/u, '')}`;
  const params = st.paramCount > 0 ? (st.params as unknown[]) : undefined;
  const times: number[] = [];
  let indexes: string[] = [];
  for (let i = 0; i <= runs; i++) {
    const r = await tx.query(sql, params, { timeoutMillis: 120_000 });
    const cell = r.rows[0]?.['QUERY PLAN'];
    const doc = (typeof cell === 'string' ? JSON.parse(cell) : cell) as { Plan: PlanNode; 'Execution Time': number }[];
    if (i === 0) {
      indexes = indexesUsed(summarize(doc[0]!.Plan));
      continue; // warm-up
    }
    times.push(doc[0]!['Execution Time']);
  }
  return { millis: median(times), indexes };
}

/** Builds the recommendations for real in a rolled-back transaction and measures before/after. */
export async function verifyRecommendations(
  client: PgClient,
  result: AdvisorResult,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  if (client.kind === 'server' && !options.scratch) {
    throw new CapabilityError(
      '--verify builds the indexes for real: run it on embedded PostgreSQL or on a scratch copy of the server with --scratch',
    );
  }
  const started = performance.now();
  const runs = Math.max(3, options.runs ?? 3);
  const progress = options.onProgress ?? (() => undefined);
  const regressionFraction = options.regressionFraction ?? 0.02;
  const regressionMinMillis = options.regressionMinMillis ?? 0.05;
  const confirmFraction = options.confirmFraction ?? 0.5;
  const skipped: VerifyReport['skipped'] = [];
  const targets = result.prepared.filter((st) => {
    const outcome = result.statements.find((s) => s.id === st.id);
    if (st.unsupported || outcome?.costBefore === null) {
      skipped.push({ id: st.id, reason: st.unsupported ?? 'not costable' });
      return false;
    }
    if (st.model.kind !== 'select') {
      skipped.push({ id: st.id, reason: 'writes are not executed by --verify' });
      return false;
    }
    if (st.paramCount > 0 && st.params === null) {
      skipped.push({ id: st.id, reason: 'no representative parameter values' });
      return false;
    }
    return true;
  });
  return client.transaction(
    async (tx) => {
      const before = new Map<string, { millis: number; indexes: string[] }>();
      for (const [i, st] of targets.entries()) {
        progress('verify: measuring before', i / Math.max(1, targets.length * 2));
        before.set(st.id, await measure(tx, st, runs));
      }
      const tables = new Set<string>();
      for (const ext of result.requiredExtensions) await tx.query(extensionDdl(ext));
      for (const [i, r] of result.recommendations.entries()) {
        progress(
          `verify: building ${r.candidate.name}`,
          (targets.length + i / Math.max(1, result.recommendations.length)) / Math.max(1, targets.length * 2),
        );
        await tx.query(candidateDdl(r.candidate, { concurrently: false, ifNotExists: false }));
        tables.add(qualifiedName(r.candidate.schema, r.candidate.table));
      }
      for (const t of tables) await tx.query(`ANALYZE ${t}`);
      const statements: VerifiedStatement[] = [];
      for (const [i, st] of targets.entries()) {
        progress('verify: measuring after', (targets.length + i) / Math.max(1, targets.length * 2));
        const a = await measure(tx, st, runs);
        const b = before.get(st.id)!;
        const planChanged = a.indexes.join(',') !== b.indexes.join(',');
        statements.push({
          id: st.id,
          query: st.query,
          runs,
          millisBefore: b.millis,
          millisAfter: a.millis,
          indexesBefore: b.indexes,
          indexesAfter: a.indexes,
          planChanged,
          regressed:
            planChanged && a.millis > b.millis * (1 + regressionFraction) && a.millis - b.millis > regressionMinMillis,
        });
      }
      const indexes: VerifiedIndex[] = result.recommendations.map((r) => {
        let predicted = 0;
        let measured = 0;
        let mb = 0;
        let ma = 0;
        for (const s of r.statements) {
          const v = statements.find((x) => x.id === s.id);
          if (!v || !s.costBefore || s.costAfter === null) continue;
          predicted += s.weight * (1 - Math.min(s.costAfter, s.costBefore) / s.costBefore);
          measured += s.weight * (1 - v.millisAfter / Math.max(1e-6, v.millisBefore));
          mb += v.millisBefore;
          ma += v.millisAfter;
        }
        const ratio = predicted > 0 ? measured / predicted : 0;
        return {
          name: r.candidate.name,
          predictedGain: predicted,
          measuredGain: measured,
          ratio,
          confirmed: predicted > 0 && ratio >= confirmFraction,
          millisBefore: mb,
          millisAfter: ma,
        };
      });
      progress('verify: done', 1);
      return { runs, statements, indexes, skipped, wallMillis: performance.now() - started };
    },
    { readOnly: false, rollback: true, statementTimeoutMillis: 600_000 },
  );
}
