/**
 * `npm run bench:doctor`: the doctor on a big catalog, and its cost to a live workload.
 *
 * 1. A throwaway PostgreSQL 15 (never the machine's own server) with a database of 5,000 tables and 15,000
 *    indexes (primary key + 2 per table, 20 rows each, every 10th table with an unindexed FK); all checks are
 *    timed, three one-off runs (`runDoctor`, everything read each time), per check and in total (target: under
 *    15 s). CPU per run is measured for one-off runs and for the runs of a monitoring session (`createDoctor`,
 *    what `dbsage doctor --watch` uses): the doctor's Node process (process.cpuUsage) and its server backends
 *    (/proc/<pid>/stat), which is what the doctor takes from a workload, independent of the machine's noise.
 * 2. pgbench (TPC-B-like, scale 5, in its own database) throughput with a monitoring session running every
 *    BENCH_LOOP_PERIOD_MILLIS (5 s) against the big catalog vs without, in the same run: alternating baseline /
 *    loop phases so drift hits both, each loop phase compared with the baselines on either side, median of the
 *    pairs; target: less than 5 % drop. Two paced series: the session as `dbsage doctor --watch 5s` runs it (each
 *    check at its cadence: activity every run, per-table counters every 60 s, estimates every 5 min, catalog checks
 *    on a catalog change), THE figure; and every check on every run (`--watch 5s --watch-every-check`), the
 *    stricter case. Phases last a whole number of periods and runs start at fixed offsets in each phase, so every
 *    loop phase holds the same number of runs; the session's cadence clock runs on across phases, so the costlier
 *    runs (counters due) fall in some phases and not others: the mean of the paired drops is reported next to the
 *    median. Back-to-back pairs (every check, no pause) are reported as the worst case. On this 2-core machine the
 *    doctor's own Node process competes with pgbench and the server, which a real deployment (doctor on another
 *    host) does not. The CPU each loop used is reported too, with the drop it predicts (CPU per period /
 *    (period × cores)).
 *
 * Writes bench/results/doctor.json and prints a table.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runDoctor } from '../../packages/dbsage/src/doctor/runner.js';
import { createDoctor } from '../../packages/dbsage/src/doctor/session.js';
import { ServerClient } from '../../packages/dbsage/src/engines/postgres/server-client.js';
import { PG_BIN, startPostgres } from '../../test/support/postgres.js';
import { backendCpuMillis, buildBigCatalog } from './big-catalog.js';

const TABLES = Number(process.env.BENCH_TABLES ?? 5000);
const PGBENCH_SECONDS = Number(process.env.BENCH_PGBENCH_SECONDS ?? 10);
const PGBENCH_CLIENTS = Number(process.env.BENCH_PGBENCH_CLIENTS ?? 4);
/**
 * Baseline / doctor-loop pairs. Short phases are alternated (B L B L … B) and each loop phase is compared with the
 * mean of the baselines on either side of it, so slow drift of the machine's load (other processes share these
 * cores) cancels out; the median of those paired drops is the result.
 */
const PAIRS = Number(process.env.BENCH_PAIRS ?? 10);
/** Pairs measured with the doctor back to back (no pause): the worst case. */
const BACK_TO_BACK_PAIRS = Number(process.env.BENCH_BACK_TO_BACK_PAIRS ?? 4);
/**
 * The measured loop starts a doctor run every LOOP_PERIOD_MILLIS (a monitoring cadence, on one clock across
 * phases). Extra pairs run the doctor back to back (no pause), reported as the worst case.
 */
const LOOP_PERIOD_MILLIS = Number(process.env.BENCH_LOOP_PERIOD_MILLIS ?? 5000);

function pgbench(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(join(PG_BIN, 'pgbench'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.stderr.on('data', (d) => {
      out += d;
    });
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`pgbench exited ${code}: ${out.slice(-500)}`)),
    );
  });
}

function tps(output: string): number {
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(output);
  if (!m) throw new Error(`no tps in pgbench output: ${output.slice(-300)}`);
  return Number(m[1]);
}

interface Phase {
  phase: string;
  tps: number;
  doctorRuns: number;
  doctorMillisMean: number | null;
}

async function main(): Promise<void> {
  // No checkpoint inside the measured phases: at this throughput the default max_wal_size (1 GB) forces one every
  // minute or so, and the phase it falls in loses throughput whether the doctor runs or not.
  const server = await startPostgres({
    max_connections: '200',
    max_locks_per_transaction: '256',
    max_wal_size: "'20GB'",
    checkpoint_timeout: "'1h'",
  });
  const os = await import('node:os');
  const cpus = os.cpus().length;
  const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
  // Other processes on the machine move every wall-clock figure: the load averages (1, 5, 15 min) say how much.
  const machine: Record<string, unknown> = { cpus, loadAverageAtStart: load() };
  const results: Record<string, unknown> = { machine };
  try {
    const admin = new pg.Client({ connectionString: server.adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE bigcat');
    await admin.query('CREATE DATABASE pgb');
    await admin.end();
    const bigUrl = server.adminUrl.replace(/\/postgres$/, '/bigcat');
    const pgbUrl = server.adminUrl.replace(/\/postgres$/, '/pgb');

    process.stderr.write(`building ${TABLES} tables with ${TABLES * 3} indexes…\n`);
    const t0 = performance.now();
    await buildBigCatalog(bigUrl, TABLES);
    results.buildSeconds = Math.round((performance.now() - t0) / 100) / 10;

    // 1. All checks on the big catalog.
    const client = await ServerClient.connect({ connectionString: bigUrl });
    const runs: { totalMillis: number; perCheck: Record<string, number>; unknown: string[]; findings: number }[] = [];
    await runDoctor({ client }); // opens the pool's connections, so their backends can be measured
    const serverCpuBefore = await backendCpuMillis(bigUrl);
    const clientCpuBefore = process.cpuUsage();
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const r = await runDoctor({ client });
      const totalMillis = performance.now() - started;
      runs.push({
        totalMillis: Math.round(totalMillis),
        perCheck: Object.fromEntries(r.outcomes.map((o) => [o.analyzerId, Math.round(o.durationMillis)])),
        unknown: r.outcomes.filter((o) => o.status !== 'ok').map((o) => `${o.analyzerId}: ${o.reason}`),
        findings: r.findings.length,
      });
      process.stderr.write(`  doctor run ${i + 1}: ${Math.round(totalMillis)} ms, ${r.findings.length} findings\n`);
    }
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const cpuPerRun = {
      clientMillis: Math.round((clientCpu.user + clientCpu.system) / 1000 / 3),
      serverMillis: Math.round(((await backendCpuMillis(bigUrl)) - serverCpuBefore) / 3),
    };
    // The same checks as a monitoring session runs them with every check every run (`--watch-every-check`):
    // catalog-derived values kept between runs. (With the default cadence most runs run the activity checks only;
    // its cost is measured over time in the paced loop below.)
    const session = createDoctor({ client, everyCheckEveryRun: true });
    const firstStarted = performance.now();
    await session.run();
    const sessionFirstRunMillis = Math.round(performance.now() - firstStarted);
    const SESSION_RUNS = 10;
    const sessionServerBefore = await backendCpuMillis(bigUrl);
    const sessionClientBefore = process.cpuUsage();
    let sessionFindings = 0;
    for (let i = 0; i < SESSION_RUNS; i++) sessionFindings = (await session.run()).findings.length;
    const sessionClientCpu = process.cpuUsage(sessionClientBefore);
    const sessionCpuPerRun = {
      clientMillis: Math.round((sessionClientCpu.user + sessionClientCpu.system) / 1000 / SESSION_RUNS),
      serverMillis: Math.round(((await backendCpuMillis(bigUrl)) - sessionServerBefore) / SESSION_RUNS),
    };
    process.stderr.write(
      `  CPU per run: one-off ${cpuPerRun.clientMillis} + ${cpuPerRun.serverMillis} ms, session ${sessionCpuPerRun.clientMillis} + ${sessionCpuPerRun.serverMillis} ms (client + server)\n`,
    );
    const slowest = Object.entries(runs[runs.length - 1]!.perCheck)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8);
    results.catalog = {
      tables: TABLES,
      indexes: TABLES * 3,
      runs: runs.map((r) => ({ totalMillis: r.totalMillis, findings: r.findings, unknown: r.unknown })),
      worstTotalMillis: Math.max(...runs.map((r) => r.totalMillis)),
      slowestChecksLastRun: Object.fromEntries(slowest),
      // What one run costs the machine, independent of the noise of other processes: the doctor's own Node
      // process and its server backends.
      cpuMillisPerRun: cpuPerRun,
      session: {
        firstRunMillis: sessionFirstRunMillis,
        runs: SESSION_RUNS,
        findings: sessionFindings,
        findingsMatchOneOff: sessionFindings === runs[runs.length - 1]!.findings,
        cpuMillisPerRun: sessionCpuPerRun,
        catalogReads: session.stats.catalogReads,
      },
      targetMillis: 15_000,
      pass: Math.max(...runs.map((r) => r.totalMillis)) < 15_000 && runs.every((r) => r.unknown.length === 0),
    };

    // 2. pgbench with and without the doctor looping on the same server.
    const u = new URL(pgbUrl);
    const conn = ['-h', u.hostname, '-p', u.port, '-U', 'postgres'];
    process.stderr.write('pgbench: initialising scale 5\n');
    await pgbench(['-i', '-s', '5', '-q', ...conn, 'pgb']);
    const bench = () =>
      pgbench([
        '-c',
        String(PGBENCH_CLIENTS),
        '-j',
        '2',
        '-T',
        String(PGBENCH_SECONDS),
        '-M',
        'prepared',
        '-n',
        ...conn,
        'pgb',
      ]);
    await bench(); // warm-up, not counted
    const phases: Phase[] = [];
    const plain = async (name: string) => {
      phases.push({ phase: name, tps: tps(await bench()), doctorRuns: 0, doctorMillisMean: null });
      process.stderr.write(`  ${name}: ${phases[phases.length - 1]!.tps} tps\n`);
    };
    type LoopCpu = { clientMicros: number; serverMillis: number; runs: number; phaseMillis: number };
    const newLoopCpu = (): LoopCpu => ({ clientMicros: 0, serverMillis: 0, runs: 0, phaseMillis: 0 });
    const withDoctor = async (name: string, periodMillis: number, doctor: typeof session, loopCpu: LoopCpu) => {
      let stop = false;
      let wake: () => void = () => undefined;
      const durations: number[] = [];
      const sleep = (ms: number) =>
        new Promise<void>((r) => {
          const t = setTimeout(r, ms);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
      const serverBefore = await backendCpuMillis(bigUrl);
      // The doctor's client CPU: this process's CPU while a run is in progress (spawning pgbench and reading its
      // output, between runs, is the harness's and not counted).
      let clientMicros = 0;
      const phaseStart = performance.now();
      const loop = (async () => {
        // Paced: runs start half a period into the phase, then every period, so each phase of a whole number of
        // periods holds the same number of runs (a shared clock would give some phases one run more).
        let next = periodMillis / 2;
        while (!stop) {
          if (periodMillis > 0) {
            await sleep(Math.max(0, next - (performance.now() - phaseStart)));
            next += periodMillis;
          }
          if (stop) break;
          const s = performance.now();
          const c0 = process.cpuUsage();
          await doctor.run();
          const c = process.cpuUsage(c0);
          clientMicros += c.user + c.system;
          durations.push(performance.now() - s);
        }
      })();
      const out = await bench();
      stop = true;
      wake();
      await loop;
      if (periodMillis > 0) {
        loopCpu.clientMicros += clientMicros;
        loopCpu.serverMillis += (await backendCpuMillis(bigUrl)) - serverBefore;
        loopCpu.runs += durations.length;
        loopCpu.phaseMillis += performance.now() - phaseStart;
      }
      phases.push({
        phase: name,
        tps: tps(out),
        doctorRuns: durations.length,
        doctorMillisMean: Math.round(durations.reduce((a, b) => a + b, 0) / Math.max(durations.length, 1)),
      });
      process.stderr.write(`  ${name}: ${phases[phases.length - 1]!.tps} tps, ${durations.length} doctor runs\n`);
    };
    const series = async (label: string, pairs: number, periodMillis: number, doctor: typeof session, cpu: LoopCpu) => {
      if (pairs === 0) return [];
      const first = phases.length;
      await plain(`${label}: baseline 0`);
      for (let i = 1; i <= pairs; i++) {
        await withDoctor(`${label}: doctor ${i}`, periodMillis, doctor, cpu);
        await plain(`${label}: baseline ${i}`);
      }
      const mine = phases.slice(first);
      const drops: number[] = [];
      for (let k = 1; k < mine.length; k += 2) {
        const around = (mine[k - 1]!.tps + mine[k + 1]!.tps) / 2;
        drops.push(((around - mine[k]!.tps) / around) * 100);
      }
      return drops;
    };
    // `dbsage doctor --watch 5s`: a session with the default cadence, its clock running across the phases.
    const watch = createDoctor({ client });
    await watch.run();
    const watchCpu = newLoopCpu();
    const fullCpu = newLoopCpu();
    const paced = await series(
      `watch every ${LOOP_PERIOD_MILLIS / 1000} s`,
      PAIRS,
      LOOP_PERIOD_MILLIS,
      watch,
      watchCpu,
    );
    const pacedFull = await series(
      `every check every ${LOOP_PERIOD_MILLIS / 1000} s`,
      PAIRS,
      LOOP_PERIOD_MILLIS,
      session,
      fullCpu,
    );
    const busy = await series('back to back', BACK_TO_BACK_PAIRS, 0, session, newLoopCpu());
    await client.close();
    const median = (xs: number[]) => {
      if (xs.length === 0) return Number.NaN;
      const v = [...xs].sort((a, b) => a - b);
      const m = Math.floor(v.length / 2);
      return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
    };
    const r1 = (x: number) => Math.round(x * 10) / 10;
    const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((x, y) => x + y, 0) / xs.length);
    // CPU a paced loop took (client process and server backends), per doctor run, and the throughput drop it
    // predicts when pgbench and the server already use every core: that CPU per period over period × cores.
    const loopFigures = (c: LoopCpu) => ({
      loopCpuMillisPerRun: {
        clientMillis: Math.round(c.clientMicros / 1000 / Math.max(c.runs, 1)),
        serverMillis: Math.round(c.serverMillis / Math.max(c.runs, 1)),
      },
      cpuPredictedDropPercent: r1(
        (((c.clientMicros / 1000 + c.serverMillis) / Math.max(c.phaseMillis, 1)) * 100) / cpus,
      ),
    });
    const seriesFigures = (mode: string, drops: number[], cpu: LoopCpu) => ({
      mode,
      pairedDropsPercent: drops.map(r1),
      dropPercent: r1(median(drops)),
      meanDropPercent: r1(mean(drops)),
      ...loopFigures(cpu),
    });
    const baselines = phases.filter((p) => p.phase.includes('baseline')).map((p) => p.tps);
    results.pgbench = {
      scale: 5,
      clients: PGBENCH_CLIENTS,
      secondsPerPhase: PGBENCH_SECONDS,
      loopPeriodMillis: LOOP_PERIOD_MILLIS,
      doctorTarget: `bigcat (${TABLES} tables, ${TABLES * 3} indexes)`,
      phases,
      watch: seriesFigures('dbsage doctor --watch (default cadence)', paced, watchCpu),
      everyCheck: seriesFigures('dbsage doctor --watch --watch-every-check', pacedFull, fullCpu),
      backToBackPairedDropsPercent: busy.map(r1),
      backToBackDropPercent: r1(median(busy)),
      baselineTpsRange: [Math.round(Math.min(...baselines)), Math.round(Math.max(...baselines))],
      dropPercent: r1(median(paced)),
      targetDropPercent: 5,
      pass: median(paced) < 5,
    };
  } finally {
    await server.stop();
  }
  machine.loadAverageAtEnd = load();
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../results/doctor.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  const cat = results.catalog as {
    worstTotalMillis: number;
    slowestChecksLastRun: Record<string, number>;
    cpuMillisPerRun: { clientMillis: number; serverMillis: number };
    session: { cpuMillisPerRun: { clientMillis: number; serverMillis: number }; firstRunMillis: number };
    pass: boolean;
  };
  type Series = {
    pairedDropsPercent: number[];
    dropPercent: number;
    meanDropPercent: number;
    loopCpuMillisPerRun: { clientMillis: number; serverMillis: number };
    cpuPredictedDropPercent: number;
  };
  const pb = results.pgbench as {
    phases: Phase[];
    watch: Series;
    everyCheck: Series;
    backToBackDropPercent: number;
    backToBackPairedDropsPercent: number[];
    baselineTpsRange: [number, number];
    pass: boolean;
  };
  const seriesRows = (label: string, x: Series, verdict: boolean): [string, string][] => [
    [
      `  ${label}: CPU per run during the loop, client / server`,
      `${x.loopCpuMillisPerRun.clientMillis} ms / ${x.loopCpuMillisPerRun.serverMillis} ms (predicts ${x.cpuPredictedDropPercent}% drop)`,
    ],
    [
      `  ${label}: throughput drop, median (mean) of paired`,
      `${x.dropPercent}% (${x.meanDropPercent}%)${verdict ? (x.dropPercent < 5 ? ' (< 5 %: pass)' : ' (FAIL)') : ''}  [${x.pairedDropsPercent.join(', ')}]`,
    ],
  ];
  const rows: [string, string][] = [
    [
      'load average at start / end (1, 5, 15 min)',
      `${(machine.loadAverageAtStart as number[]).join(', ')} / ${(machine.loadAverageAtEnd as number[]).join(', ')}`,
    ],
    [
      `all checks, ${TABLES} tables / ${TABLES * 3} indexes (worst of 3)`,
      `${cat.worstTotalMillis} ms ${cat.pass ? '(< 15 s: pass)' : '(FAIL)'}`,
    ],
    ...Object.entries(cat.slowestChecksLastRun).map(([k, v]) => [`  ${k}`, `${v} ms`] as [string, string]),
    [
      'CPU per one-off run (runDoctor): Node client / server backends',
      `${cat.cpuMillisPerRun.clientMillis} ms / ${cat.cpuMillisPerRun.serverMillis} ms`,
    ],
    [
      'CPU per session run, every check (--watch-every-check): client / server',
      `${cat.session.cpuMillisPerRun.clientMillis} ms / ${cat.session.cpuMillisPerRun.serverMillis} ms (first run ${cat.session.firstRunMillis} ms)`,
    ],
    [
      `pgbench baseline tps (min … max over ${pb.phases.length} phases)`,
      `${pb.baselineTpsRange[0]} … ${pb.baselineTpsRange[1]}`,
    ],
    [`doctor every ${LOOP_PERIOD_MILLIS / 1000} s:`, ''],
    ...seriesRows('--watch (cadence)', pb.watch, true),
    ...seriesRows('--watch-every-check', pb.everyCheck, false),
    [
      'throughput drop, doctor back to back (median of paired)',
      `${pb.backToBackDropPercent}%  [${pb.backToBackPairedDropsPercent.join(', ')}]`,
    ],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(
    `\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n\nwritten: bench/results/doctor.json\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
