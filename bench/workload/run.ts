/**
 * `npm run bench:workload`: generates a 1 GiB PostgreSQL stderr log in a temp dir (never in the repo), ingests
 * it in a child process, and reports wall time and peak RSS of the ingesting process against the targets
 * (60 s, 300 MB). The anchor is the same child only splitting the file into lines: the ratio shows what the
 * statement parsing costs over reading. Prints a table, writes bench/results/workload.json, deletes the log.
 * `BENCH_WORKLOAD_BYTES` overrides the size (for a quick run).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { generateLog } from './generate.js';

const TARGET_WALL_SECONDS = 60;
const TARGET_RSS_MB = 300;
const bytes = Number(process.env.BENCH_WORKLOAD_BYTES ?? 1024 ** 3);
const here = fileURLToPath(new URL('.', import.meta.url));
const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;
const MB = 1024 * 1024;

interface ChildResult {
  mode: string;
  wallMillis: number;
  maxRssBytes: number;
  /** VmHWM polled from /proc by this process (a cross-check of maxRSS). */
  polledHwmBytes: number;
  processMillis: number;
  [key: string]: unknown;
}

/**
 * Compiles the ingest child to plain JavaScript with esbuild (tsx's own compiler), so the child runs under plain
 * `node` as the installed CLI does (compiled JS), without the TypeScript loader's ~40 MB in the measured RSS.
 * The bundle lives under node_modules/.cache so that its package imports resolve.
 */
async function bundleChild(): Promise<string> {
  const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx'));
  const esbuild = (await import(fromTsx.resolve('esbuild'))) as typeof import('esbuild');
  const dir = fileURLToPath(new URL('../../node_modules/.cache/dbsage-bench/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'workload-ingest.mjs');
  await esbuild.build({
    entryPoints: [join(here, 'ingest.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

/** Runs the ingest child, polling its VmHWM from /proc while it runs. */
function runChild(script: string, mode: 'ingest' | 'lines', file: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [script, mode, file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let hwm = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]) * 1024);
      } catch {
        // the process has exited
      }
    }, 100);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      if (code !== 0) return reject(new Error(`ingest child (${mode}) exited with ${code}`));
      const result = JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
      resolve({ ...result, polledHwmBytes: hwm, processMillis: performance.now() - started });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'dbsage-bench-workload-'));
const file = join(dir, 'postgresql.log');
try {
  process.stderr.write(`generating a ${round(bytes / MB, 0)} MiB stderr log in ${dir}…\n`);
  const g0 = performance.now();
  const generated = await generateLog(file, bytes);
  const generateSeconds = (performance.now() - g0) / 1000;
  process.stderr.write(`generated in ${round(generateSeconds)} s; splitting lines (anchor)…\n`);
  const script = await bundleChild();
  const lines = await runChild(script, 'lines', file);
  process.stderr.write('ingesting…\n');
  const ingest = await runChild(script, 'ingest', file);

  const wallSeconds = ingest.wallMillis / 1000;
  const peakRssMb = Math.max(ingest.maxRssBytes, ingest.polledHwmBytes) / MB;
  const checks = {
    callsMatch: ingest.calls === generated.calls,
    shapesMatch: ingest.shapes === generated.shapes,
    skippedMatchesGarbage: ingest.skipped === generated.garbageLines,
    excludedMatchesTransactionControl: ingest.excluded === generated.transactionControl,
    linesMatch: ingest.read === generated.lines,
  };
  const result = {
    meta: {
      command: 'npm run bench:workload',
      child:
        'plain node running an esbuild bundle of bench/workload/ingest.ts (the installed CLI runs compiled JS too)',
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      date: new Date().toISOString(),
    },
    log: {
      bytes: generated.bytes,
      mib: round(generated.bytes / MB, 0),
      lines: generated.lines,
      statements: generated.calls,
      shapes: generated.shapes,
      garbageLines: generated.garbageLines,
      generateSeconds: round(generateSeconds),
    },
    ingest: {
      wallSeconds: round(wallSeconds, 2),
      processSeconds: round(ingest.processMillis / 1000, 2),
      peakRssMb: round(peakRssMb),
      maxRssMb: round(ingest.maxRssBytes / MB),
      polledHwmMb: round(ingest.polledHwmBytes / MB),
      mibPerSecond: round(generated.bytes / MB / wallSeconds),
      statementsPerSecond: Math.round(generated.calls / wallSeconds),
      found: {
        shapes: ingest.shapes,
        calls: ingest.calls,
        skipped: ingest.skipped,
        excluded: ingest.excluded,
        read: ingest.read,
        withParams: ingest.withParams,
      },
      top: ingest.top,
    },
    anchorLineSplit: {
      wallSeconds: round(lines.wallMillis / 1000, 2),
      peakRssMb: round(Math.max(lines.maxRssBytes, lines.polledHwmBytes) / MB),
      ingestOverLineSplit: round(ingest.wallMillis / lines.wallMillis, 2),
    },
    targets: {
      wallSeconds: TARGET_WALL_SECONDS,
      rssMb: TARGET_RSS_MB,
      wallOk: wallSeconds < TARGET_WALL_SECONDS,
      rssOk: peakRssMb < TARGET_RSS_MB,
    },
    checks,
  };
  const rows: [string, string][] = [
    ['log size', `${result.log.mib} MiB, ${generated.lines.toLocaleString('en')} lines`],
    ['statements in log', `${generated.calls.toLocaleString('en')} (${generated.shapes} shapes)`],
    [
      'ingest wall time',
      `${result.ingest.wallSeconds} s (target < ${TARGET_WALL_SECONDS} s) ${result.targets.wallOk ? 'ok' : 'MISSED'}`,
    ],
    [
      'ingest peak RSS',
      `${result.ingest.peakRssMb} MB (target < ${TARGET_RSS_MB} MB) ${result.targets.rssOk ? 'ok' : 'MISSED'}`,
    ],
    [
      'throughput',
      `${result.ingest.mibPerSecond} MiB/s, ${result.ingest.statementsPerSecond.toLocaleString('en')} statements/s`,
    ],
    ['anchor: line split only', `${result.anchorLineSplit.wallSeconds} s, ${result.anchorLineSplit.peakRssMb} MB RSS`],
    ['ingest / line split', `${result.anchorLineSplit.ingestOverLineSplit}×`],
    ['shapes / calls found', `${ingest.shapes} / ${String(ingest.calls)}`],
    ['skipped (garbage) / excluded', `${String(ingest.skipped)} / ${String(ingest.excluded)}`],
    [
      'checks',
      Object.entries(checks)
        .map(([k, v]) => `${k}=${v ? 'ok' : 'FAIL'}`)
        .join(' '),
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\nworkload ingest benchmark (stderr log, ${cpus().length} cores)\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
  const outFile = fileURLToPath(new URL('../results/workload.json', import.meta.url));
  writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\nwrote ${outFile}\n`);
  if (!Object.values(checks).every(Boolean)) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
