import type { AstNode } from '../../sql/parser.js';
import { dottedName, hasOption, type RelName, rangeVar } from '../ast.js';
import type { LintStatement, RuleReport, StatementContext, StatementRule } from '../rule.js';
import { LOCK_TIMEOUT_PREFIX, nameOf } from '../rule-helpers.js';
import type { ModelTable } from '../schema-model.js';

/** The lock a statement takes on existing tables, or undefined when it takes none worth waiting for. */
export function heavyLock(stmt: LintStatement): { mode: string; rels: RelName[] } | undefined {
  const n = stmt.node;
  switch (stmt.kind) {
    case 'AlterTableStmt': {
      if (n.objtype !== 'OBJECT_TABLE' && n.objtype !== undefined) return undefined;
      const cmds = ((n.cmds ?? []) as AstNode[]).map((c) => c.AlterTableCmd ?? {});
      const light = cmds.every(
        (c) =>
          c.subtype === 'AT_ValidateConstraint' ||
          (c.subtype === 'AT_DetachPartition' && c.def?.PartitionCmd?.concurrent),
      );
      if (light) return undefined;
      const fkOnly = cmds.every(
        (c) => c.subtype === 'AT_AddConstraint' && c.def?.Constraint?.contype === 'CONSTR_FOREIGN',
      );
      const rel = rangeVar(n.relation);
      return rel ? { mode: fkOnly ? 'SHARE ROW EXCLUSIVE' : 'ACCESS EXCLUSIVE', rels: [rel] } : undefined;
    }
    case 'IndexStmt': {
      const rel = rangeVar(n.relation);
      return !n.concurrent && rel ? { mode: 'SHARE', rels: [rel] } : undefined;
    }
    case 'DropStmt':
      if (n.removeType === 'OBJECT_TABLE' || (n.removeType === 'OBJECT_INDEX' && !n.concurrent)) {
        return { mode: 'ACCESS EXCLUSIVE', rels: ((n.objects ?? []) as AstNode[]).map(dottedName) };
      }
      return undefined;
    case 'RenameStmt': {
      const rel = rangeVar(n.relation);
      return rel ? { mode: 'ACCESS EXCLUSIVE', rels: [rel] } : undefined;
    }
    case 'TruncateStmt':
      return {
        mode: 'ACCESS EXCLUSIVE',
        rels: ((n.relations ?? []) as AstNode[]).map((r) => rangeVar(r)!).filter(Boolean),
      };
    case 'VacuumStmt':
      if (!hasOption(n.options, 'full')) return undefined;
      return {
        mode: 'ACCESS EXCLUSIVE',
        rels: ((n.rels ?? []) as AstNode[]).map((r) => rangeVar(r.VacuumRelation?.relation)!).filter(Boolean),
      };
    case 'ClusterStmt': {
      const rel = rangeVar(n.relation);
      return rel ? { mode: 'ACCESS EXCLUSIVE', rels: [rel] } : undefined;
    }
    case 'ReindexStmt': {
      const rel = rangeVar(n.relation);
      return !hasOption(n.params, 'concurrently') && rel ? { mode: 'SHARE', rels: [rel] } : undefined;
    }
    case 'CreateTrigStmt': {
      const rel = rangeVar(n.relation);
      return rel ? { mode: 'SHARE ROW EXCLUSIVE', rels: [rel] } : undefined;
    }
    default:
      return undefined;
  }
}

interface Pending {
  first: LintStatement;
  count: number;
  tables: Set<string>;
  biggest: ModelTable | undefined;
  mode: string;
}

/**
 * DDL that needs a strong lock queues behind any long-running query on the table, and while it waits every
 * later query on the table queues behind it: a migration without lock_timeout can take the application down
 * without ever running. Reported once per file, at the first such statement, ranked by the largest table.
 */
export const rule: StatementRule = {
  id: 'missing-lock-timeout',
  profile: 'safety',
  category: 'migration',
  severity: 'medium',
  scope: 'statement',
  lockHazard: true,
  description: 'lock-taking DDL on existing tables without a preceding SET lock_timeout',
  kinds: ['*'],
  check(stmt, ctx) {
    if (ctx.tx.lockTimeout) return [];
    const lock = heavyLock(stmt);
    if (!lock) return [];
    const targets = lock.rels
      .map((rel) => ({
        rel,
        ...lockTargetOrIndex(ctx, rel, stmt.kind === 'DropStmt' && stmt.node.removeType === 'OBJECT_INDEX'),
      }))
      .filter((t) => t.hazard);
    if (targets.length === 0) return [];
    let pending = ctx.fileState.get('missing-lock-timeout') as Pending | undefined;
    if (!pending) {
      pending = { first: stmt, count: 0, tables: new Set(), biggest: undefined, mode: lock.mode };
      ctx.fileState.set('missing-lock-timeout', pending);
    }
    pending.count++;
    for (const t of targets) {
      pending.tables.add(nameOf(t.table ?? t.rel));
      if (t.table && (t.table.sizeBytes ?? -1) > (pending.biggest?.sizeBytes ?? -1)) pending.biggest = t.table;
    }
    return [];
  },
  endFile(file, ctx) {
    const p = ctx.fileState.get('missing-lock-timeout') as Pending | undefined;
    if (!p) return [];
    const tables = [...p.tables];
    const report: RuleReport = {
      title: `${p.count} lock-taking statement${p.count === 1 ? '' : 's'} in ${file} run without lock_timeout`,
      summary:
        'A DDL statement waiting for its lock blocks every later query on the table, so one long transaction can stall the application. SET lock_timeout first (and retry on timeout).',
      evidence: {
        statements: p.count,
        tables: tables.slice(0, 20),
        firstLockMode: p.mode,
        ...(p.biggest?.sizeBytes != null ? { largestTableBytes: p.biggest.sizeBytes } : {}),
      },
      remediation: { sql: LOCK_TIMEOUT_PREFIX },
      at: p.first.node.location,
      pos: { file: p.first.file, line: p.first.line, column: p.first.column },
      object: file,
      ...(p.biggest ? { table: p.biggest } : {}),
    };
    return [report];
  },
};

function lockTargetOrIndex(
  ctx: StatementContext,
  rel: RelName,
  isIndex: boolean,
): { table: ModelTable | undefined; hazard: boolean } {
  if (isIndex) {
    const found = ctx.model.index(rel);
    return { table: found?.table, hazard: !found?.table.createdInRun };
  }
  return ctx.lockTarget(rel);
}
