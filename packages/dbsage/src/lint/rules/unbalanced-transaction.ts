import type { RuleReport, StatementRule } from '../rule.js';

/**
 * BEGIN inside an open transaction (including the one the migration tool opened), COMMIT/ROLLBACK with none
 * open, or a BEGIN never committed by the end of the file: each leaves the migration half-applied or
 * commits work the tool meant to roll back.
 */
export const rule: StatementRule = {
  id: 'unbalanced-transaction',
  profile: 'safety',
  category: 'migration',
  severity: 'high',
  scope: 'statement',
  description: 'nested BEGIN, COMMIT without BEGIN, or a transaction left open at the end of the file',
  kinds: ['TransactionStmt'],
  check(stmt, ctx) {
    const kind = String(stmt.node.kind);
    const begin = kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START';
    const end = kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK' || kind === 'TRANS_STMT_COMMIT_PREPARED';
    if (begin && ctx.tx.inTransaction) {
      const inside = ctx.tx.explicit
        ? `the transaction opened at line ${ctx.tx.beganAtLine}`
        : 'the transaction the migration tool opened';
      return [
        {
          title: `BEGIN inside ${inside}`,
          summary: ctx.tx.explicit
            ? 'PostgreSQL has no nested transactions: this BEGIN is ignored with a warning and the first COMMIT ends both. Use SAVEPOINT, or remove the inner BEGIN.'
            : 'The migration tool already wraps this file in a transaction; the COMMIT that matches this BEGIN commits the tool’s transaction early, so a later failure leaves the migration half-applied.',
          evidence: { explicitTransaction: ctx.tx.explicit, toolWrapped: ctx.tx.toolWrapped },
          remediation: {
            steps: [
              ctx.tx.explicit
                ? 'remove the nested BEGIN or use SAVEPOINT'
                : 'remove BEGIN/COMMIT from the file, or disable the tool’s transaction for it',
            ],
          },
          object: `begin:${stmt.index}`,
        },
      ];
    }
    if (end && !ctx.tx.inTransaction) {
      return [
        {
          title: `${kind === 'TRANS_STMT_ROLLBACK' ? 'ROLLBACK' : 'COMMIT'} without an open transaction`,
          summary:
            'There is no transaction to end here, so the statements before it already ran in autocommit mode and were not protected by one.',
          evidence: { statement: stmt.text },
          remediation: { steps: ['add the matching BEGIN, or remove this statement'] },
          object: `end:${stmt.index}`,
        },
      ];
    }
    return [];
  },
  endFile(file, ctx) {
    if (!ctx.tx.explicit || !ctx.tx.inTransaction) return [];
    const r: RuleReport = {
      title: `transaction opened at line ${ctx.tx.beganAtLine} of ${file} is never committed`,
      summary:
        'When the file ends inside a transaction, the session either rolls it back on disconnect or leaves it idle in transaction holding its locks. End it with COMMIT.',
      evidence: { beganAtLine: ctx.tx.beganAtLine },
      remediation: { sql: 'COMMIT;' },
      pos: { file, line: ctx.tx.beganAtLine ?? 1, column: 1 },
      object: `${file}:uncommitted`,
    };
    return [r];
  },
};
