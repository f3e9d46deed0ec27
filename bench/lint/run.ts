/**
 * `npm run bench:lint`: dbsage lint vs squawk-cli on the same generated 10,000-statement migration, in the same
 * run. The migration mixes new tables, indexes and constraints on them (squawk's classic false positive: the
 * table was created earlier in the same file, so nobody can be waiting on its lock) and DDL on existing
 * tables. The generator records which statements touch new tables, so each tool's false positives on lock
 * hazards are counted against ground truth. Prints a table and writes bench/results/lint.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lintSourcesSync } from '../../packages/dbsage/src/lint/linter.js';
import { loadParser } from '../../packages/dbsage/src/sql/parser.js';
import { generateMigration } from './generate.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const STATEMENTS = Number(process.env.BENCH_LINT_STATEMENTS ?? 10_000);
const RUNS = 5;

/** Lock-hazard rules of each tool (their reports on a new table are false positives). */
const SQUAWK_LOCK_RULES = new Set([
  'require-concurrent-index-creation',
  'require-concurrent-index-deletion',
  'constraint-missing-not-valid',
  'adding-foreign-key-constraint',
  'adding-not-nullable-field',
  'adding-required-field',
  'adding-field-with-default',
  'changing-column-type',
  'disallowed-unique-constraint',
  'adding-serial-primary-key-field',
  'adding-primary-key-constraint',
]);
const DBSAGE_LOCK_RULES = new Set([
  'create-index-not-concurrent',
  'drop-index-not-concurrent',
  'constraint-without-not-valid',
  'set-not-null-without-check',
  'add-column-not-null-without-default',
  'add-column-rewrite',
  'alter-column-type',
  'unique-constraint-without-index',
  'primary-key-without-index',
]);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeSpawn(cmd: string, args: string[]): { ms: number; stdout: string; code: number | null } {
  const started = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: root, maxBuffer: 1024 * 1024 * 1024 });
  const ms = performance.now() - started;
  if (r.error) throw r.error;
  return { ms, stdout: r.stdout, code: r.status };
}

/** Builds the dbsage CLI (dist) when it is missing or older than the lint sources. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the dbsage CLI (dist) when it is missing or older than any lint, report or CLI source. */
function ensureCli(): string {
  const bin = join(root, 'packages/dbsage/bin/dbsage.js');
  const built = join(root, 'packages/dbsage/dist/cli/commands/lint.js');
  const src = Math.max(
    ...['lint', 'report', 'cli', 'sql', 'findings'].map((d) => newestMtime(join(root, 'packages/dbsage/src', d))),
  );
  if (!existsSync(built) || statSync(built).mtimeMs < src) {
    // tsc emits even when another part of the workspace has type errors; only the emitted files matter here.
    spawnSync('npx', ['tsc', '-p', 'packages/dbsage'], { cwd: root, stdio: 'ignore' });
  }
  if (!existsSync(built)) throw new Error('could not build packages/dbsage/dist (run npm run build)');
  return bin;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dbsage-bench-lint-'));
  const { sql, statements } = generateMigration(STATEMENTS);
  const file = join(dir, 'migration.sql');
  writeFileSync(file, sql);
  const lineToStmt = new Map<number, (typeof statements)[number]>();
  for (const s of statements) lineToStmt.set(s.line, s);

  // dbsage in-process (parser loaded once, as a long-lived process or a test would).
  await loadParser();
  let result = lintSourcesSync([{ file: 'migration.sql', text: sql }]);
  const inProcess: number[] = [];

  // squawk-cli (the anchor) and the dbsage CLI, interleaved on the same file so load on the machine hits both.
  const bin = ensureCli();
  const squawkBin = join(root, 'node_modules/@squawk-cli/linux-x64/bin/squawk');
  const squawkRuns: number[] = [];
  const cliRuns: number[] = [];
  let squawkOut = '';
  let cliOut = '';
  const loadBefore = loadavg();
  for (let i = 0; i < RUNS; i++) {
    const r = timeSpawn(squawkBin, ['--reporter', 'json', file]);
    squawkRuns.push(r.ms);
    squawkOut = r.stdout;
    const cli = timeSpawn(process.execPath, [bin, 'lint', file, '--format', 'json', '--quiet']);
    cliRuns.push(cli.ms);
    cliOut = cli.stdout;
    const started = performance.now();
    result = lintSourcesSync([{ file: 'migration.sql', text: sql }]);
    inProcess.push(performance.now() - started);
  }
  const loadAfter = loadavg();
  const squawkFindings = JSON.parse(squawkOut) as { line: number; rule_name: string }[];
  // dbsage is judged on what its CLI printed (the in-process run must agree with it).
  const cliFindings = JSON.parse(cliOut) as { ruleId: string; location?: { line?: number } }[];
  if (cliFindings.length !== result.findings.length) {
    throw new Error(`CLI reported ${cliFindings.length} findings, in-process ${result.findings.length}`);
  }

  const judge = (findings: { line: number; rule: string }[], lockRules: Set<string>) => {
    let falsePositives = 0;
    let truePositives = 0;
    for (const f of findings) {
      if (!lockRules.has(f.rule)) continue;
      const s = lineToStmt.get(f.line);
      if (!s) continue;
      if (s.touchesNewTable) falsePositives++;
      else truePositives++;
    }
    return { falsePositives, truePositives };
  };
  const squawkJudged = judge(
    squawkFindings.map((f) => ({ line: f.line + 1, rule: f.rule_name })),
    SQUAWK_LOCK_RULES,
  );
  const dbsageJudged = judge(
    cliFindings.map((f) => ({ line: f.location?.line ?? -1, rule: f.ruleId })),
    DBSAGE_LOCK_RULES,
  );
  const hazards = statements.filter((s) => s.hazard).length;
  const newTableStatements = statements.filter((s) => s.touchesNewTable).length;

  const out = {
    statements: statements.length,
    newTableStatements,
    hazardsOnExistingTables: hazards,
    squawk: {
      version: spawnSync(squawkBin, ['--version'], { encoding: 'utf8' }).stdout.trim(),
      medianMillis: Math.round(median(squawkRuns)),
      runsMillis: squawkRuns.map(Math.round),
      findings: squawkFindings.length,
      lockFalsePositives: squawkJudged.falsePositives,
      lockTruePositives: squawkJudged.truePositives,
    },
    dbsage: {
      inProcessMedianMillis: Math.round(median(inProcess)),
      inProcessRunsMillis: inProcess.map(Math.round),
      cliMedianMillis: Math.round(median(cliRuns)),
      cliRunsMillis: cliRuns.map(Math.round),
      findings: result.findings.length,
      lockFalsePositives: dbsageJudged.falsePositives,
      lockTruePositives: dbsageJudged.truePositives,
    },
    ratioCliToSquawk: Number((median(cliRuns) / median(squawkRuns)).toFixed(2)),
    ratioInProcessToSquawk: Number((median(inProcess) / median(squawkRuns)).toFixed(2)),
    budget: 'dbsage at most 2x squawk',
    loadAverage1m: { before: Number(loadBefore[0]!.toFixed(2)), after: Number(loadAfter[0]!.toFixed(2)) },
    cores: availableParallelism(),
    at: new Date().toISOString(),
  };

  const rows = [
    ['tool', 'median ms', 'lock findings on new tables (FP)', 'lock findings on existing tables (TP)'],
    [
      'squawk-cli',
      String(out.squawk.medianMillis),
      String(out.squawk.lockFalsePositives),
      String(out.squawk.lockTruePositives),
    ],
    [
      'dbsage (CLI)',
      String(out.dbsage.cliMedianMillis),
      String(out.dbsage.lockFalsePositives),
      String(out.dbsage.lockTruePositives),
    ],
    ['dbsage (in-process)', String(out.dbsage.inProcessMedianMillis), '', ''],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(
    `lint benchmark: ${out.statements} statements (${newTableStatements} on tables created in the file, ${hazards} lock hazards on existing tables)`,
  );
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  console.log(
    `ratio dbsage CLI / squawk: ${out.ratioCliToSquawk}x, in-process / squawk: ${out.ratioInProcessToSquawk}x (budget 2x)`,
  );
  console.log(
    `load average (1 min) ${out.loadAverage1m.before} before, ${out.loadAverage1m.after} after, on ${out.cores} cores`,
  );
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/lint.json'), `${JSON.stringify(out, null, 2)}\n`);
  if (out.ratioCliToSquawk > 2) process.exitCode = 1;
}

await main();
