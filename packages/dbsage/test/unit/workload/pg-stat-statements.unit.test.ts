import { describe, expect, it } from 'vitest';
import { workloadSpecKind } from '../../../src/workload/load.js';
import { pgStatStatementsColumns, pgStatStatementsSql } from '../../../src/workload/pg-stat-statements.js';

describe('pg_stat_statements columns', () => {
  it('follow the extension version, which an upgraded cluster may keep old', () => {
    expect(pgStatStatementsColumns('1.7', 120000)).toEqual({ totalTime: 'total_time', hasToplevel: false });
    expect(pgStatStatementsColumns('1.7', 130000)).toEqual({ totalTime: 'total_time', hasToplevel: false });
    expect(pgStatStatementsColumns('1.8', 130000)).toEqual({ totalTime: 'total_exec_time', hasToplevel: false });
    expect(pgStatStatementsColumns('1.9', 140000)).toEqual({ totalTime: 'total_exec_time', hasToplevel: true });
    expect(pgStatStatementsColumns('1.10', 150000)).toEqual({ totalTime: 'total_exec_time', hasToplevel: true });
    expect(pgStatStatementsColumns('1.12', 180000)).toEqual({ totalTime: 'total_exec_time', hasToplevel: true });
  });

  it('follow the server version when the extension version is unknown', () => {
    expect(pgStatStatementsColumns(undefined, 120011)).toEqual({ totalTime: 'total_time', hasToplevel: false });
    expect(pgStatStatementsColumns(undefined, 130000)).toEqual({ totalTime: 'total_exec_time', hasToplevel: false });
    expect(pgStatStatementsColumns(undefined, 140005)).toEqual({ totalTime: 'total_exec_time', hasToplevel: true });
  });

  it('build the query with the right column, the quoted schema and the options', () => {
    const old = pgStatStatementsSql('public', { totalTime: 'total_time', hasToplevel: false }, { topLevelOnly: true });
    expect(old).toContain('s.total_time AS total_time');
    expect(old).not.toContain('toplevel');
    expect(old).toContain('s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())');
    const now = pgStatStatementsSql(
      'My Ext',
      { totalTime: 'total_exec_time', hasToplevel: true },
      { topLevelOnly: true, allDatabases: true },
    );
    expect(now).toContain('FROM "My Ext".pg_stat_statements s');
    expect(now).toContain('AND s.toplevel');
    expect(now).not.toContain('dbid');
  });
});

describe('workloadSpecKind', () => {
  it('tells pg_stat_statements, .sql files and logs apart', () => {
    expect(workloadSpecKind('pgss')).toBe('pg_stat_statements');
    expect(workloadSpecKind('PG_STAT_STATEMENTS')).toBe('pg_stat_statements');
    expect(workloadSpecKind('queries.SQL')).toBe('sql-file');
    expect(workloadSpecKind('/var/log/postgresql/postgresql-15-main.log')).toBe('log');
    expect(workloadSpecKind('postgresql.csv.gz')).toBe('log');
  });
});
