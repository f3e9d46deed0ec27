import { detectCapabilities } from '../engines/postgres/capabilities.js';
import type { PgClient } from '../engines/postgres/client.js';
import { InputError, UsageError } from '../errors.js';
import type { Finding } from '../findings/finding.js';
import { type AstNode, loadParser } from '../sql/parser.js';
import { splitSql } from '../sql/split.js';
import { DOCTOR_CHECKS } from './all-checks.js';
import { runDoctor } from './runner.js';

/**
 * `dbsage fix <fingerprint>`: applies one finding's remediation, safely. The finding is looked up again on the
 * live database (never trusted from an old report), its SQL is shown, and only statements of a small, known-safe
 * set are run — each on its own, outside a transaction block (CONCURRENTLY and VACUUM refuse to run inside one),
 * on a pinned session with lock_timeout so a busy table makes the fix fail fast instead of queueing traffic
 * behind it. Anything else (ALTER SYSTEM, column type changes, dropping a slot) is printed for a human to run.
 */

/** One statement of a fix, with whether dbsage may run it. */
export interface FixStatement {
  sql: string;
  kind: string;
  allowed: boolean;
  /** Why it is refused, when it is. */
  reason?: string;
}

/** What a fix would do. */
export interface FixPlan {
  finding: Finding;
  statements: FixStatement[];
  /** True when every statement may be run by dbsage. */
  applicable: boolean;
}

/** Outcome of one executed statement. */
export interface FixResult {
  sql: string;
  ok: boolean;
  rows: Record<string, unknown>[];
  error?: string;
  millis: number;
}

/** The statements dbsage fix may run, and what they are. */
export const SAFE_FIX_STATEMENTS = [
  'SELECT pg_cancel_backend / pg_terminate_backend',
  'VACUUM / ANALYZE (not FULL)',
  'REINDEX INDEX CONCURRENTLY',
  'CREATE INDEX CONCURRENTLY',
  'DROP INDEX CONCURRENTLY',
  'ALTER TABLE … SET / RESET (storage parameters)',
  'ROLLBACK PREPARED / COMMIT PREPARED',
] as const;

function funcName(node: AstNode | undefined): string | undefined {
  const parts = node?.FuncCall?.funcname as AstNode[] | undefined;
  return parts?.map((p) => p.String?.sval).join('.');
}

/** Decides whether dbsage may run a statement (by its parse tree, never by text matching). */
export function classifyStatement(ast: AstNode): { allowed: boolean; reason?: string } {
  const [kind] = Object.keys(ast);
  const node = kind ? ast[kind] : undefined;
  switch (kind) {
    case 'SelectStmt': {
      const targets = (node.targetList ?? []) as AstNode[];
      const fn = targets.length === 1 ? funcName(targets[0]?.ResTarget?.val) : undefined;
      if (fn === 'pg_cancel_backend' || fn === 'pg_terminate_backend') return { allowed: true };
      return { allowed: false, reason: 'only pg_cancel_backend / pg_terminate_backend calls are run' };
    }
    case 'VacuumStmt': {
      const full = ((node.options ?? []) as AstNode[]).some((o) => o.DefElem?.defname === 'full');
      return full
        ? { allowed: false, reason: 'VACUUM FULL locks the table exclusively for the whole rewrite' }
        : { allowed: true };
    }
    case 'ReindexStmt': {
      const concurrent = ((node.params ?? []) as AstNode[]).some((o) => o.DefElem?.defname === 'concurrently');
      return node.kind === 'REINDEX_OBJECT_INDEX' && concurrent
        ? { allowed: true }
        : { allowed: false, reason: 'only REINDEX INDEX CONCURRENTLY is run' };
    }
    case 'IndexStmt':
      return node.concurrent
        ? { allowed: true }
        : { allowed: false, reason: 'CREATE INDEX without CONCURRENTLY blocks writes' };
    case 'DropStmt':
      return node.removeType === 'OBJECT_INDEX' && node.concurrent
        ? { allowed: true }
        : { allowed: false, reason: 'only DROP INDEX CONCURRENTLY is run' };
    case 'AlterTableStmt': {
      const cmds = (node.cmds ?? []) as AstNode[];
      const ok =
        cmds.length > 0 &&
        cmds.every((c) => ['AT_SetRelOptions', 'AT_ResetRelOptions'].includes(c.AlterTableCmd?.subtype));
      return ok ? { allowed: true } : { allowed: false, reason: 'only storage-parameter changes (SET/RESET) are run' };
    }
    case 'TransactionStmt':
      return ['TRANS_STMT_ROLLBACK_PREPARED', 'TRANS_STMT_COMMIT_PREPARED'].includes(node.kind)
        ? { allowed: true }
        : { allowed: false, reason: 'transaction control is not a fix' };
    default:
      return {
        allowed: false,
        reason: `${kind ?? 'this statement'} is not among the statements dbsage fix runs; review and run it yourself`,
      };
  }
}

/** Splits and classifies a remediation's SQL. */
export async function planStatements(sql: string): Promise<FixStatement[]> {
  await loadParser();
  const split = splitSql(sql, '<remediation>');
  if (split.errors.length > 0) throw new InputError(`the remediation SQL does not parse: ${split.errors[0]!.message}`);
  return split.statements.map((s) => ({ sql: s.text, kind: s.kind, ...classifyStatement(s.ast) }));
}

/** Options of {@link planFix}. */
export interface PlanFixOptions {
  /** Per-check options used when re-running the check (the thresholds that produced the finding). */
  options?: Record<string, Record<string, unknown>>;
}

/**
 * Re-runs the check the fingerprint belongs to (its id is the fingerprint's prefix) and returns the finding's
 * fix plan. Throws when the fingerprint is unknown or the condition is gone.
 */
export async function planFix(client: PgClient, fingerprint: string, opts: PlanFixOptions = {}): Promise<FixPlan> {
  const ruleId = fingerprint.slice(0, fingerprint.lastIndexOf(':'));
  const check = DOCTOR_CHECKS.find((c) => c.id === ruleId);
  if (!check) throw new UsageError(`"${fingerprint}" is not a doctor finding fingerprint (expected <check-id>:<hash>)`);
  const capabilities = await client.transaction((tx) => detectCapabilities(tx));
  const result = await runDoctor({
    client,
    capabilities,
    only: [check.id],
    ...(opts.options ? { options: opts.options } : {}),
  });
  const outcome = result.outcomes[0];
  if (outcome && outcome.status !== 'ok') {
    throw new InputError(
      `check ${check.id} could not run (${outcome.reason ?? outcome.status}), so the finding cannot be confirmed`,
    );
  }
  const finding = result.findings.find((f) => f.fingerprint === fingerprint);
  if (!finding) {
    throw new InputError(
      `no current finding with fingerprint ${fingerprint}: the condition is gone, or it was found with other --option thresholds`,
    );
  }
  const sql = finding.remediation?.sql;
  if (!sql) {
    const steps = finding.remediation?.steps?.join(' ') ?? '';
    throw new InputError(`finding ${fingerprint} has no SQL remediation to apply${steps ? `; to do: ${steps}` : ''}`);
  }
  const statements = await planStatements(sql);
  return { finding, statements, applicable: statements.length > 0 && statements.every((s) => s.allowed) };
}

/** Options of {@link applyFix}. */
export interface ApplyFixOptions {
  /** lock_timeout for each statement (ms). Default 3000: fail fast rather than queue behind traffic. */
  lockTimeoutMillis?: number;
  /** statement_timeout (ms); default 0 (none): index builds take as long as the table needs. */
  statementTimeoutMillis?: number;
}

/**
 * Runs a fix plan's statements one by one on a pinned read-write session, outside any transaction block.
 * Stops at the first failure. Refuses a plan with a statement dbsage may not run.
 */
export async function applyFix(client: PgClient, plan: FixPlan, options: ApplyFixOptions = {}): Promise<FixResult[]> {
  if (!plan.applicable) throw new UsageError('this fix contains statements dbsage does not run; apply it by hand');
  const session = await client.pin({
    readOnly: false,
    lockTimeoutMillis: options.lockTimeoutMillis ?? 3000,
    statementTimeoutMillis: options.statementTimeoutMillis ?? 0,
  });
  const results: FixResult[] = [];
  try {
    for (const s of plan.statements) {
      const started = performance.now();
      try {
        const r = await session.query(s.sql);
        results.push({
          sql: s.sql,
          ok: true,
          rows: r.rows as Record<string, unknown>[],
          millis: performance.now() - started,
        });
      } catch (error) {
        results.push({
          sql: s.sql,
          ok: false,
          rows: [],
          error: error instanceof Error ? error.message : String(error),
          millis: performance.now() - started,
        });
        break;
      }
    }
  } finally {
    await session.release();
  }
  return results;
}

/** After a failed CREATE/REINDEX CONCURRENTLY: what to do about the INVALID index it may leave behind. */
export function cleanupHint(statement: FixStatement): string | undefined {
  if (statement.kind === 'IndexStmt') {
    return 'A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind: drop it with DROP INDEX CONCURRENTLY before retrying (dbsage doctor reports it as invalid-index).';
  }
  if (statement.kind === 'ReindexStmt') {
    return 'A failed REINDEX CONCURRENTLY can leave an INVALID "<name>_ccnew" index: drop it with DROP INDEX CONCURRENTLY.';
  }
  return undefined;
}
