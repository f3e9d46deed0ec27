import type { StatementRule } from '../rule.js';

/** A migration that drops a database is almost always a mistake. */
export const rule: StatementRule = {
  id: 'drop-database',
  profile: 'safety',
  category: 'migration',
  severity: 'critical',
  scope: 'statement',
  description: 'DROP DATABASE in a migration',
  kinds: ['DropdbStmt'],
  check(stmt) {
    return [
      {
        title: `database ${stmt.node.dbname} is dropped`,
        summary:
          'Dropping a database destroys every table in it and breaks every client. It does not belong in a migration.',
        evidence: { database: stmt.node.dbname },
        remediation: { steps: ['remove the statement from the migration; drop databases by hand after a backup'] },
        object: String(stmt.node.dbname),
      },
    ];
  },
};
