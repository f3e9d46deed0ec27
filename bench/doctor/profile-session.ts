/**
 * Development aid for the doctor's monitoring cost: builds the bench's big catalog on a throwaway PostgreSQL 15, runs
 * a session (createDoctor) and prints, for its warm runs, CPU per run (client, server backends), per-check times and
 * the doctor's statements ranked by server time (pg_stat_statements of the throwaway server).
 *
 *   npx tsx bench/doctor/profile-session.ts   (BENCH_TABLES=5000 BENCH_RUNS=10 BENCH_CPU_PROFILE=1)
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import pg from 'pg';
import { createDoctor } from '../../packages/dbsage/src/doctor/session.js';
import { ServerClient } from '../../packages/dbsage/src/engines/postgres/server-client.js';
import { startPostgres } from '../../test/support/postgres.js';
import { backendCpuMillis, buildBigCatalog } from './big-catalog.js';

const TABLES = Number(process.env.BENCH_TABLES ?? 5000);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);

const server = await startPostgres({ max_connections: '200', max_locks_per_transaction: '256' });
try {
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE bigcat');
  const url = server.adminUrl.replace(/\/postgres$/, '/bigcat');
  await buildBigCatalog(url, TABLES);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  if (process.env.BENCH_KEEP) {
    // development: keep the server for manual EXPLAINs until the process is killed
    console.log(`kept: ${url}`);
    await new Promise<void>((resolve) => process.once('SIGINT', resolve));
    throw new Error('stopped');
  }
  const client = await ServerClient.connect({ connectionString: url });
  const session = createDoctor({ client, everyCheckEveryRun: process.env.BENCH_EVERY === '1' });
  await session.run();
  await session.run();
  await c.query('SELECT pg_stat_statements_reset()');
  const inspector = process.env.BENCH_CPU_PROFILE ? new Session() : null;
  if (inspector) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.setSamplingInterval', { interval: 200 });
    await inspector.post('Profiler.start');
  }
  const s0 = await backendCpuMillis(url);
  const u0 = process.cpuUsage();
  const perCheck = new Map<string, number>();
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const r = await session.run();
    for (const o of r.outcomes) perCheck.set(o.analyzerId, (perCheck.get(o.analyzerId) ?? 0) + o.durationMillis / RUNS);
  }
  const wall = (performance.now() - t0) / RUNS;
  const u = process.cpuUsage(u0);
  const server1 = await backendCpuMillis(url);
  if (inspector) {
    const { profile } = await inspector.post('Profiler.stop');
    writeFileSync('/tmp/doctor-session.cpuprofile', JSON.stringify(profile));
    summarise(profile as unknown as CpuProfile);
  }
  console.log(
    `per run: wall ${wall.toFixed(0)} ms, client CPU ${((u.user + u.system) / 1000 / RUNS).toFixed(0)} ms, server CPU ${((server1 - s0) / RUNS).toFixed(0)} ms; catalog reads ${session.stats.catalogReads}`,
  );
  console.log(
    'checks (ms/run):',
    [...perCheck]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', '),
  );
  const top = await c.query(
    `SELECT calls, round(total_exec_time::numeric / $1, 2) AS ms_per_run, round(total_plan_time::numeric / $1, 2) AS plan_ms, rows / calls AS rows, round((jit_generation_time + jit_inlining_time + jit_optimization_time + jit_emission_time)::numeric / $1, 1) AS jit_ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 140) AS q
       FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements_reset%' ORDER BY total_exec_time + total_plan_time DESC LIMIT 25`,
    [RUNS],
  );
  console.table(top.rows);
  const tot = await c.query(
    `SELECT sum(calls) / $1 AS calls_per_run, round(sum(total_exec_time + total_plan_time)::numeric / $1, 1) AS ms_per_run FROM pg_stat_statements`,
    [RUNS],
  );
  console.log(tot.rows[0]);
  await client.close();
  await c.end();
  await admin.end();
} finally {
  await server.stop();
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}
/** Self time by function and by file, from the sampled profile. */
function summarise(p: CpuProfile): void {
  const self = new Map<number, number>();
  for (const [i, id] of p.samples.entries()) self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const n of p.nodes) {
    const t = (self.get(n.id) ?? 0) / 1000;
    const file = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/src\//, 'src/');
    const fn = `${n.callFrame.functionName || '(anon)'} ${file}:${n.callFrame.lineNumber}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + t);
    const f = file.split('/').slice(0, 3).join('/') || n.callFrame.functionName;
    byFile.set(f, (byFile.get(f) ?? 0) + t);
  }
  const top = (m: Map<string, number>, k: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([n, t]) => `  ${t.toFixed(1).padStart(8)} ms  ${n}`)
      .join('\n');
  console.log(`self time by function (all ${RUNS} runs):\n${top(byFn, 30)}\nby file:\n${top(byFile, 20)}`);
}
