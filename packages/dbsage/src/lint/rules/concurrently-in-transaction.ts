import type { AstNode } from '../../sql/parser.js';
import { hasOption } from '../ast.js';
import type { StatementRule } from '../rule.js';

/**
 * CONCURRENTLY operations cannot run in a transaction block: PostgreSQL rejects them (SQLSTATE 25001), so
 * the migration fails — under a tool that wraps each file in a transaction as much as under an explicit BEGIN.
 */
export const rule: StatementRule = {
  id: 'concurrently-in-transaction',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  description: 'CREATE/DROP INDEX, REINDEX or DETACH PARTITION CONCURRENTLY inside a transaction fails',
  kinds: ['IndexStmt', 'DropStmt', 'ReindexStmt', 'AlterTableStmt'],
  check(stmt, ctx) {
    if (!ctx.tx.inTransaction) return [];
    const n = stmt.node;
    let op: string | undefined;
    if (stmt.kind === 'IndexStmt' && n.concurrent) op = 'CREATE INDEX CONCURRENTLY';
    else if (stmt.kind === 'DropStmt' && n.concurrent) op = 'DROP INDEX CONCURRENTLY';
    else if (stmt.kind === 'ReindexStmt' && hasOption(n.params, 'concurrently')) op = 'REINDEX CONCURRENTLY';
    else if (
      stmt.kind === 'AlterTableStmt' &&
      ((n.cmds ?? []) as AstNode[]).some((c) => c.AlterTableCmd?.def?.PartitionCmd?.concurrent)
    )
      op = 'DETACH PARTITION CONCURRENTLY';
    if (!op) return [];
    const why = ctx.tx.explicit
      ? `the transaction opened by BEGIN at line ${ctx.tx.beganAtLine}`
      : 'the transaction the migration tool wraps around this file';
    return [
      {
        title: `${op} runs inside ${why}`,
        summary:
          'PostgreSQL refuses CONCURRENTLY operations inside a transaction block (ERROR 25001), so this migration fails. Put the statement in its own migration that runs without a transaction.',
        evidence: { operation: op, explicitTransaction: ctx.tx.explicit, toolWrapped: ctx.tx.toolWrapped },
        remediation: {
          steps: [
            'Move the statement into its own migration file and disable the tool’s transaction for it (e.g. node-pg-migrate `pgm.noTransaction()`, Knex `config.transaction = false`, Flyway `executeInTransaction=false`, Prisma: one statement per migration), or remove the surrounding BEGIN/COMMIT.',
          ],
        },
        object: `${op}:${stmt.index}`,
      },
    ];
  },
};
