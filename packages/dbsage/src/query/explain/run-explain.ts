import { randomBytes } from 'node:crypto';
import type { PgClient, Queryable } from '../../engines/postgres/client.js';
import { parseRaw } from '../../sql/parser.js';
import { parseJsonPlan } from '../plan/parse-json-plan.js';
import type { Plan } from '../plan/plan-node.js';
import { assertSafe, checkStatementSafety, functionVolatility, paramCount } from './statement-safety.js';

/** Options of {@link explainStatement}. */
export interface ExplainOptions {
  /** Execute the statement (EXPLAIN ANALYZE, BUFFERS) inside a read-only transaction that is rolled back. */
  analyze?: boolean;
  /** Values for `$n` placeholders. Without them a parameterised statement gets its generic plan. */
  params?: readonly unknown[];
  /** statement_timeout for the EXPLAIN, ms (default: the client's). */
  statementTimeoutMillis?: number;
  /** Let ANALYZE run volatile functions that are not known to be harmless. */
  allowVolatile?: boolean;
  /** Extra EXPLAIN options (`SETTINGS`), PostgreSQL 12+. */
  settings?: boolean;
  /**
   * Planner/executor settings for this EXPLAIN only (`work_mem`, `enable_seqscan`, …), applied with
   * `set_config(name, value, true)` inside the transaction: a what-if that ends with the rollback.
   */
  gucs?: Readonly<Record<string, string>>;
}

/** A plan with the raw JSON PostgreSQL returned (saved with `--save`, compared later). */
export interface ExplainResult {
  plan: Plan;
  json: unknown;
  /** How the plan was obtained: analyzed, plain, or generic (placeholders without values). */
  mode: 'analyze' | 'plain' | 'generic';
}

const explainColumn = (row: Record<string, unknown> | undefined): unknown => row?.['QUERY PLAN'];

/**
 * EXPLAIN for a statement on the target, safely. Plain EXPLAIN only plans (nothing runs). `analyze` first proves
 * the statement cannot write (see {@link checkStatementSafety}) and then runs it inside `BEGIN READ ONLY` with
 * statement_timeout, rolled back. A statement with `$n` placeholders and no values gets PostgreSQL's generic
 * plan (GENERIC_PLAN on 16+, a prepared statement with plan_cache_mode = force_generic_plan on older servers).
 */
export async function explainStatement(
  client: PgClient,
  sql: string,
  options: ExplainOptions = {},
): Promise<ExplainResult> {
  const text = sql.trim().replace(/;\s*$/, '');
  const parsed = parseRaw(text);
  const params = options.params ?? [];
  const needed = parsed.ok && parsed.stmts[0] ? paramCount(parsed.stmts[0].stmt) : 0;
  const txOptions = {
    readOnly: true,
    rollback: true,
    ...(options.statementTimeoutMillis === undefined ? {} : { statementTimeoutMillis: options.statementTimeoutMillis }),
  };
  const settings = options.settings ? ', SETTINGS' : '';
  return client.transaction(async (tx) => {
    for (const [name, value] of Object.entries(options.gucs ?? {})) {
      await tx.query('SELECT set_config($1, $2, true)', [name, value]);
    }
    if (options.analyze) {
      const safety = await checkStatementSafety(text, (names) => functionVolatility(tx, names), {
        ...(options.allowVolatile ? { allowVolatile: true } : {}),
      });
      if (needed > params.length)
        safety.reasons.push(`it uses $${needed} but ${params.length} parameter value(s) were given (--param)`);
      assertSafe(safety);
      const r = await tx.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON${settings}) ${text}`, params);
      const json = explainColumn(r.rows[0]);
      return { plan: parseJsonPlan(json), json, mode: 'analyze' as const };
    }
    if (needed > 0 && params.length < needed) {
      const json = await genericPlan(tx, text, needed, settings);
      return { plan: parseJsonPlan(json), json, mode: 'generic' as const };
    }
    const r = await tx.query(`EXPLAIN (FORMAT JSON${settings}) ${text}`, params);
    const json = explainColumn(r.rows[0]);
    return { plan: parseJsonPlan(json), json, mode: 'plain' as const };
  }, txOptions);
}

/** The generic plan of a parameterised statement (what a prepared statement runs after five executions). */
export async function genericPlan(tx: Queryable, text: string, params: number, settings = ''): Promise<unknown> {
  const version = Number(
    (await tx.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v ?? 0,
  );
  if (version >= 160000) {
    const r = await tx.query(`EXPLAIN (GENERIC_PLAN, FORMAT JSON${settings}) ${text}`);
    return explainColumn(r.rows[0]);
  }
  // Prepared statements outlive the transaction: always DEALLOCATE, even when EXPLAIN fails.
  const name = `dbsage_explain_${randomBytes(6).toString('hex')}`;
  // A failed EXPLAIN aborts the transaction and DEALLOCATE could not run: a savepoint keeps it usable.
  await tx.query(`PREPARE ${name} AS ${text}`);
  await tx.query('SAVEPOINT dbsage_generic_plan');
  try {
    await tx.query('SET LOCAL plan_cache_mode = force_generic_plan');
    const nulls = Array.from({ length: params }, () => 'NULL').join(', ');
    const r = await tx.query(`EXPLAIN (FORMAT JSON${settings}) EXECUTE ${name}(${nulls})`);
    return explainColumn(r.rows[0]);
  } catch (error) {
    await tx.query('ROLLBACK TO SAVEPOINT dbsage_generic_plan').catch(() => undefined);
    throw error;
  } finally {
    await tx.query(`DEALLOCATE ${name}`).catch(() => undefined);
  }
}
