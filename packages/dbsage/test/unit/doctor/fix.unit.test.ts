import { describe, expect, it } from 'vitest';
import { planStatements } from '../../../src/doctor/fix.js';

describe('dbsage fix: what it may run (decided on the parse tree)', () => {
  it('runs the safe set, each statement on its own', async () => {
    const plan = await planStatements(
      [
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = 42 AND backend_start = '2024-01-01';",
        'VACUUM (ANALYZE) public.t;',
        'ANALYZE t;',
        'REINDEX INDEX CONCURRENTLY i;',
        'CREATE INDEX CONCURRENTLY x ON t (a);',
        'DROP INDEX CONCURRENTLY i;',
        'ALTER TABLE t RESET (autovacuum_enabled);',
        "ROLLBACK PREPARED 'g';",
      ].join('\n'),
    );
    expect(plan.map((s) => s.allowed)).toEqual([true, true, true, true, true, true, true, true]);
    expect(plan.map((s) => s.kind)).toEqual([
      'SelectStmt',
      'VacuumStmt',
      'VacuumStmt',
      'ReindexStmt',
      'IndexStmt',
      'DropStmt',
      'AlterTableStmt',
      'TransactionStmt',
    ]);
  });

  it('refuses anything else, with the reason', async () => {
    const plan = await planStatements(
      [
        'VACUUM FULL t;',
        'CREATE INDEX x ON t (a);',
        'DROP INDEX i;',
        'DROP TABLE t;',
        'REINDEX TABLE t;',
        'ALTER TABLE t ALTER COLUMN id TYPE bigint;',
        'ALTER SYSTEM SET random_page_cost = 1.1;',
        "SELECT pg_drop_replication_slot('s');",
        'SELECT pg_terminate_backend(1), pg_reload_conf();',
      ].join('\n'),
    );
    expect(plan.every((s) => !s.allowed)).toBe(true);
    expect(plan[0]?.reason).toContain('VACUUM FULL');
    expect(plan[1]?.reason).toContain('without CONCURRENTLY');
    expect(plan[6]?.reason).toContain('review and run it yourself');
  });
});
