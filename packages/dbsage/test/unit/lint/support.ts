import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One corpus case: files of one run plus what dbsage must report. */
export interface CorpusCase {
  name: string;
  /** squawk rules this case deliberately disagrees with, and why. */
  differs: Map<string, string>;
  expect: string[];
  preset?: string;
  profile?: string;
  pg?: number;
  files: { name: string; text: string }[];
}

const here = dirname(fileURLToPath(import.meta.url));

/** Path of a lint fixture. */
export function lintFixture(name: string): string {
  return resolve(here, '../../fixtures/lint', name);
}

/** Parses `test/fixtures/lint/corpus.sql` into cases (format described at the top of that file). */
export function loadCorpus(): CorpusCase[] {
  const text = readFileSync(lintFixture('corpus.sql'), 'utf8');
  const cases: CorpusCase[] = [];
  for (const block of text.split(/^-- case: /m).slice(1)) {
    const lines = block.split('\n');
    const c: CorpusCase = { name: lines.shift()!.trim(), differs: new Map(), expect: [], files: [] };
    let current: { name: string; lines: string[] } | undefined;
    let headers = true;
    for (const line of lines) {
      const header = /^-- (expect|preset|profile|pg|file|squawk-differs): ?(.*)$/.exec(line);
      if (header && (headers || header[1] === 'file')) {
        const [, key, value] = header;
        if (key === 'expect') c.expect = value === 'none' ? [] : value!.split(',').map((s) => s.trim());
        else if (key === 'preset') c.preset = value!.trim();
        else if (key === 'profile') c.profile = value!.trim();
        else if (key === 'pg') c.pg = Number(value);
        else if (key === 'squawk-differs') {
          const m = /^([\w-]+)\s*\((.*)\)\s*$/.exec(value!.trim());
          if (!m) throw new Error(`case ${c.name}: squawk-differs needs "rule (reason)"`);
          c.differs.set(m[1]!, m[2]!);
        } else if (key === 'file') {
          current = { name: value!.trim(), lines: [] };
          c.files.push({ name: current.name, text: '' });
        }
        continue;
      }
      headers = false;
      if (!current) {
        current = { name: 'migration.sql', lines: [] };
        c.files.push({ name: current.name, text: '' });
      }
      current.lines.push(line);
      c.files[c.files.length - 1]!.text = `${current.lines.join('\n').trim()}\n`;
    }
    cases.push(c);
  }
  return cases;
}

/** A squawk finding (its JSON reporter; lines and columns are 0-based). */
export interface SquawkFinding {
  file: string;
  line: number;
  column: number;
  rule_name: string;
}

/**
 * The squawk binary (test oracle only). It comes from `@squawk-cli/linux-x64`, the platform package of
 * squawk-cli: the registry reachable here serves only that platform's package, and a lock file naming
 * squawk-cli's other optional platform packages cannot be written, so `npm ci` would refuse it.
 */
export function squawkBinary(): string {
  let dir = here;
  for (let i = 0; i < 6; i++) {
    for (const bin of [
      join(dir, 'node_modules', '@squawk-cli', 'linux-x64', 'bin', 'squawk'),
      join(dir, 'node_modules', '.bin', 'squawk'),
    ]) {
      if (existsSync(bin)) return bin;
    }
    dir = dirname(dir);
  }
  throw new Error('squawk is not installed: run npm ci at the repository root (linux-x64)');
}

/** Runs squawk on files (one process), returns its findings. */
export function runSquawk(
  files: readonly string[],
  options: { assumeInTransaction?: boolean; cwd?: string } = {},
): SquawkFinding[] {
  if (files.length === 0) return [];
  const args = ['--reporter', 'json', ...(options.assumeInTransaction ? ['--assume-in-transaction'] : []), ...files];
  const r = spawnSync(squawkBinary(), args, { encoding: 'utf8', cwd: options.cwd, maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw r.error;
  const out = r.stdout.trim();
  return out ? (JSON.parse(out) as SquawkFinding[]) : [];
}

/** Writes every case's files under a fresh temp dir; returns the dir. */
export function writeCorpus(cases: readonly CorpusCase[]): string {
  const root = mkdtempSync(join(tmpdir(), 'dbsage-lint-corpus-'));
  for (const [i, c] of cases.entries()) {
    const dir = join(root, String(i).padStart(3, '0'));
    mkdirSync(dir, { recursive: true });
    for (const f of c.files) writeFileSync(join(dir, f.name), f.text);
  }
  return root;
}
