import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { loadParser } from '../sql/parser.js';
import { splitSql } from '../sql/split.js';
import { WorkloadAggregator } from './aggregate.js';
import { computeShape } from './aggregate-shape.js';
import type { Workload } from './types.js';

/**
 * A `.sql` file as a workload: each statement is one call, or N calls with a `-- weight: N` comment just before
 * it (the way to say "this query runs 5 000 times a minute" in a hand-written workload). Statements with the
 * same fingerprint add up. A syntax error is reported with file:line:col and the other statements are kept.
 * Every statement counts: the file is what the user chose to analyse, so nothing is excluded.
 */

const WEIGHT = /^--\s*weight\s*:\s*(\S+)\s*$/i;

/** The weight a statement's leading comments give it: the last `-- weight: N` (N a positive number), else 1. */
export function weightOf(leadingComments: readonly string[]): { weight: number } | { error: string } {
  for (let i = leadingComments.length - 1; i >= 0; i--) {
    const m = WEIGHT.exec(leadingComments[i]!.trim());
    if (!m) continue;
    const n = Number(m[1]);
    if (!Number.isFinite(n) || n <= 0) return { error: `weight must be a positive number, got "${m[1]}"` };
    return { weight: n };
  }
  return { weight: 1 };
}

/** A workload from SQL text (`file` names it in locations and errors). */
export async function sqlTextWorkload(source: string, file = '<sql>'): Promise<Workload> {
  await loadParser();
  const agg = new WorkloadAggregator();
  const { statements, errors } = splitSql(source, file);
  agg.read = statements.length + errors.length;
  for (const e of errors) agg.skip(e.message);
  for (const s of statements) {
    const w = weightOf(s.leadingComments);
    let weight = 1;
    if ('error' in w) agg.skip(`${file}:${s.line}:${s.column}: ${w.error}; counted once`);
    else weight = w.weight;
    const shape = computeShape(s.text);
    if (!shape.ok) {
      agg.skip(`${file}:${s.line}:${s.column}: ${shape.message}`);
      continue;
    }
    const part = shape.parts[0]!;
    agg.add({
      fingerprint: part.fingerprint,
      query: part.query,
      example: s.text,
      exampleParams: null,
      calls: weight,
      timeMillis: null,
      location: { file, line: s.line, column: s.column },
    });
  }
  return { ...agg.toWorkload('sql-file'), errors };
}

/** Reads a `.sql` file into a workload. */
export async function readSqlFileWorkload(file: string): Promise<Workload> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read workload file ${file}: ${(error as Error).message}`, {
      cause: error,
      context: { file },
    });
  }
  return sqlTextWorkload(source, file);
}
