/** The bench's big catalog and the CPU meter of the doctor's backends, shared by `run.ts` and `profile-session.ts`. */
import { readFileSync } from 'node:fs';
import pg from 'pg';

/**
 * `tables` tables with a primary key and two more indexes each (20 rows; every 10th table with an unindexed FK to
 * the one before), then ANALYZE.
 */
export async function buildBigCatalog(url: string, tables: number): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements; CREATE EXTENSION IF NOT EXISTS pgstattuple');
  const batch = 100;
  for (let start = 0; start < tables; start += batch) {
    const parts: string[] = [];
    for (let i = start; i < Math.min(start + batch, tables); i++) {
      const fk = i % 10 === 9 ? `, parent_id int REFERENCES t_${i - 1} (id)` : '';
      parts.push(
        `CREATE TABLE t_${i} (id int PRIMARY KEY, a int NOT NULL, b int, c text${fk});`,
        `CREATE INDEX t_${i}_a ON t_${i} (a);`,
        `CREATE INDEX t_${i}_b_a ON t_${i} (b, a);`,
        `INSERT INTO t_${i} (id, a, b, c) SELECT g, g % 7, g, 'row ' || g FROM generate_series(1, 20) g;`,
      );
    }
    await c.query(`BEGIN; ${parts.join('\n')} COMMIT;`);
    if ((start / batch) % 10 === 0) process.stderr.write(`\r  catalog: ${start + batch} / ${tables} tables`);
  }
  process.stderr.write('\n  analyzing\n');
  await c.query('ANALYZE');
  const counts = await c.query(
    "SELECT (SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace) AS tables, (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace) AS indexes",
  );
  process.stderr.write(`  built: ${counts.rows[0].tables} tables, ${counts.rows[0].indexes} indexes\n`);
  await c.end();
}

/** CPU time (ms) used so far by the server backends of the doctor's connections (/proc, same machine). */
export async function backendCpuMillis(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const pids = (await c.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'dbsage'")).rows.map((r) =>
    Number(r.pid),
  );
  await c.end();
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields 14 and 15 of /proc/<pid>/stat: utime and stime, in clock ticks (100 per second on Linux).
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the backend ended
    }
  }
  return ticks * 10;
}
