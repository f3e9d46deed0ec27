import type { PgClient } from '../engines/postgres/client.js';
import { fingerprintSql, loadParser } from '../sql/parser.js';
import type { Workload, WorkloadStatement } from '../workload/types.js';
import { demoWorkload } from './workload.js';

/**
 * Replays the demo workload through the read-only client (as an application would run it) and returns it as a
 * workload with measured calls and times, each statement keeping a real example with its parameters.
 */
export async function replayDemoWorkload(
  client: PgClient,
  scale: number,
  onProgress: (label: string, fraction: number) => void = () => undefined,
): Promise<Workload> {
  await loadParser();
  const queries = demoWorkload(scale);
  const totalRuns = queries.reduce((a, q) => a + q.runs, 0);
  let done = 0;
  const statements: WorkloadStatement[] = [];
  for (const q of queries) {
    let total = 0;
    let rows = 0;
    for (let i = 0; i < q.runs; i++) {
      const started = performance.now();
      const r = await client.query(q.sql, q.params(i), { timeoutMillis: 60_000 });
      total += performance.now() - started;
      rows += r.rows.length;
      done++;
      if (done % 10 === 0) onProgress(`replaying workload (${q.id})`, done / totalRuns);
    }
    statements.push({
      fingerprint: fingerprintSql(q.sql),
      query: q.sql,
      example: q.sql,
      exampleParams: q.params(0).map(String),
      calls: q.runs,
      totalTimeMillis: total,
      meanTimeMillis: total / q.runs,
      rows,
      queryId: null,
      location: null,
    });
  }
  return { source: 'replay', statements, skipped: { count: 0, samples: [] }, read: totalRuns };
}
