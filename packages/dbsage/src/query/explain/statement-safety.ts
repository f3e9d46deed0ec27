import type { Queryable } from '../../engines/postgres/client.js';
import { ReadOnlyError } from '../../errors.js';
import { extractStatement } from '../../sql/extract.js';
import { type AstNode, parseRaw } from '../../sql/parser.js';

/**
 * Volatile functions that cannot change data: time, randomness, sleeps. Anything else volatile (a user function,
 * `nextval`, `dblink`, …) may write, and EXPLAIN ANALYZE *executes* the statement.
 */
export const HARMLESS_VOLATILE_FUNCTIONS: ReadonlySet<string> = new Set([
  'random',
  'random_normal',
  'clock_timestamp',
  'timeofday',
  'statement_timestamp',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'pg_sleep',
  'txid_current_if_assigned',
]);

/**
 * Functions with effects outside the transaction (signals, files, other databases, notifications): refused
 * even with `--allow-volatile`, because a rollback cannot undo them.
 */
export const NEVER_EXECUTED_FUNCTIONS: ReadonlySet<string> = new Set([
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_promote',
  'pg_switch_wal',
  'pg_create_restore_point',
  'pg_notify',
  'dblink',
  'dblink_exec',
  'dblink_send_query',
  'lo_import',
  'lo_export',
  'lo_unlink',
  'pg_file_write',
  'pg_file_unlink',
  'pg_file_rename',
]);

/** What was found in a statement, for the refusal message and tests. */
export interface StatementSafety {
  /** Empty when the statement can be executed by EXPLAIN ANALYZE. */
  reasons: string[];
  /** Volatile functions called (not in the harmless list). */
  volatileFunctions: string[];
  /** Highest `$n` used (0 when none). */
  paramCount: number;
}

function walk(node: unknown, visit: (o: AstNode) => void): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit);
    return;
  }
  visit(node as AstNode);
  for (const v of Object.values(node as AstNode)) walk(v, visit);
}

/** Function names called anywhere in a statement (schema dropped, lower-case as PostgreSQL folds them). */
export function calledFunctions(ast: AstNode): string[] {
  const out = new Set<string>();
  walk(ast, (o) => {
    if (o.FuncCall) {
      const parts = ((o.FuncCall.funcname ?? []) as AstNode[]).map((p) => p.String?.sval as string | undefined);
      const name = parts[parts.length - 1];
      if (name) out.add(name);
    }
    // Table functions in FROM are FuncCalls inside RangeFunction: covered by the walk.
  });
  return [...out];
}

/** The highest `$n` parameter a statement uses. */
export function paramCount(ast: AstNode): number {
  let max = 0;
  walk(ast, (o) => {
    if (o.ParamRef) max = Math.max(max, o.ParamRef.number ?? 0);
  });
  return max;
}

/**
 * Decides whether a statement may be executed by EXPLAIN ANALYZE. It must be one plain query (SELECT, VALUES,
 * TABLE) that writes nothing: no INSERT/UPDATE/DELETE/MERGE, no data-modifying CTE, no SELECT INTO, no row
 * locks, and no volatile function that could write unless the caller allows volatile functions explicitly
 * (functions with effects outside the transaction are refused regardless). `volatility` looks up
 * `pg_proc.provolatile` for the called functions on the target.
 */
export async function checkStatementSafety(
  sql: string,
  volatility: (names: string[]) => Promise<Map<string, string>>,
  options: { allowVolatile?: boolean } = {},
): Promise<StatementSafety> {
  const parsed = parseRaw(sql);
  if (!parsed.ok)
    return { reasons: [`it does not parse: ${parsed.failure.message}`], volatileFunctions: [], paramCount: 0 };
  if (parsed.stmts.length !== 1)
    return {
      reasons: [`it holds ${parsed.stmts.length} statements; pass exactly one`],
      volatileFunctions: [],
      paramCount: 0,
    };
  const ast = parsed.stmts[0]!.stmt;
  const reasons: string[] = [];
  const kind = Object.keys(ast)[0] ?? '?';
  if (kind !== 'SelectStmt') {
    const what =
      kind === 'InsertStmt'
        ? 'INSERT'
        : kind === 'UpdateStmt'
          ? 'UPDATE'
          : kind === 'DeleteStmt'
            ? 'DELETE'
            : kind === 'MergeStmt'
              ? 'MERGE'
              : kind === 'ExplainStmt'
                ? 'EXPLAIN (pass the statement itself)'
                : kind.replace(/Stmt$/, '');
    reasons.push(`it is ${/^[AEIOU]/.test(what) ? 'an' : 'a'} ${what} statement`);
  }
  const model = extractStatement(ast);
  const written = model.relations.filter((r) => r.access !== 'read').map((r) => r.name);
  if (kind === 'SelectStmt' && written.length > 0)
    reasons.push(`it writes through a data-modifying WITH clause (${[...new Set(written)].join(', ')})`);
  let locks = false;
  let into = false;
  walk(ast, (o) => {
    if (o.SelectStmt?.lockingClause?.length) locks = true;
    if (o.SelectStmt?.intoClause) into = true;
  });
  if (locks) reasons.push('it locks rows (FOR UPDATE/SHARE)');
  if (into) reasons.push('SELECT INTO creates a table');
  const functions = calledFunctions(ast);
  const never = functions.filter((f) => NEVER_EXECUTED_FUNCTIONS.has(f));
  if (never.length) reasons.push(`it calls ${never.join(', ')}, whose effects a rollback cannot undo`);
  const candidates = functions.filter((f) => !HARMLESS_VOLATILE_FUNCTIONS.has(f) && !NEVER_EXECUTED_FUNCTIONS.has(f));
  const vol = candidates.length ? await volatility(candidates) : new Map<string, string>();
  const volatileFunctions = candidates.filter((f) => vol.get(f) === 'v' || !vol.has(f));
  if (volatileFunctions.length && !options.allowVolatile)
    reasons.push(
      `it calls volatile function${volatileFunctions.length > 1 ? 's' : ''} ${volatileFunctions.join(', ')}, which may write (pass --allow-volatile if ${volatileFunctions.length > 1 ? 'they do' : 'it does'} not; the statement still runs READ ONLY and is rolled back)`,
    );
  return { reasons, volatileFunctions, paramCount: paramCount(ast) };
}

/**
 * Looks up the volatility of functions by name on the target (`v`, `s`, `i`); a name with any volatile overload
 * counts as volatile, and an unknown name is left out (the caller treats it as volatile).
 */
export async function functionVolatility(db: Queryable, names: string[]): Promise<Map<string, string>> {
  const { rows } = await db.query<{ name: string; volatility: string }>(
    `SELECT proname AS name, max(CASE provolatile WHEN 'v' THEN 3 WHEN 's' THEN 2 ELSE 1 END) AS rank,
            (array['i','s','v'])[max(CASE provolatile WHEN 'v' THEN 3 WHEN 's' THEN 2 ELSE 1 END)] AS volatility
       FROM pg_catalog.pg_proc WHERE proname = ANY($1::text[]) GROUP BY proname`,
    [names],
  );
  return new Map(rows.map((r) => [r.name, r.volatility]));
}

/** Throws {@link ReadOnlyError} (exit 2) naming every reason a statement may not be executed. */
export function assertSafe(safety: StatementSafety): void {
  if (safety.reasons.length === 0) return;
  throw new ReadOnlyError(
    `refusing to run EXPLAIN ANALYZE: ${safety.reasons.join('; ')}. EXPLAIN ANALYZE executes the statement; plain EXPLAIN (without --analyze) shows its plan without running it.`,
  );
}
