import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { InputError, SqlSyntaxError } from '../../errors.js';
import { extractStatement } from '../../sql/extract.js';
import { loadParser, parseStatement } from '../../sql/parser.js';
import { type LogicalModel, resolveModel } from './resolve.js';
import { type DesignModel, modelSchema } from './schema.js';
import { type InputProblem, throwProblems, YamlSource } from './yaml-source.js';

/** A loaded, validated and resolved model. */
export interface LoadedModel {
  file: string;
  model: DesignModel;
  logical: LogicalModel;
  /** The parsed file, for locating later problems. */
  source: YamlSource;
}

/**
 * Turns zod issues into located problems. zod names the data path; {@link YamlSource} finds its line. Unknown
 * keys are reported at the key itself, and enum errors list the allowed values and the value given.
 */
export function zodProblems(error: z.ZodError, source: YamlSource): InputProblem[] {
  const out: InputProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push(source.problem([...path, key], `unknown key "${key}"`, { key: true }));
      }
      continue;
    }
    out.push(source.problem(path, describeIssue(issue, valueAt(source.data, path))));
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const got = value === undefined ? 'nothing' : JSON.stringify(value);
  switch (issue.code) {
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')} (got ${got})`;
    case 'invalid_type':
      return value === undefined ? `required (expected ${issue.expected})` : `expected ${issue.expected} (got ${got})`;
    default:
      return issue.message;
  }
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg as string];
  }
  return v;
}

/**
 * Parses, validates and resolves a model file's text. Every problem (YAML syntax, schema, unknown names) is
 * reported as `file:line:col: path: message` in one {@link InputError} (exit code 2).
 */
export function parseModel(text: string, file: string): LoadedModel {
  const source = YamlSource.parse(text, file);
  const parsed = modelSchema.safeParse(source.data);
  if (!parsed.success) throwProblems(file, zodProblems(parsed.error, source));
  const { logical, problems } = resolveModel(parsed.data, source);
  if (problems.length > 0) throwProblems(file, problems);
  return { file, model: parsed.data, logical, source };
}

/**
 * Checks the `sql:` of access patterns with the real parser: a statement that does not parse, or that does not
 * touch the pattern's entity, is reported at its line (the parser must be loaded).
 */
export function checkPatternSql(loaded: LoadedModel): void {
  const problems: InputProblem[] = [];
  loaded.model.accessPatterns.forEach((p, i) => {
    if (!p.sql) return;
    const path = ['accessPatterns', i, 'sql'];
    try {
      const statement = extractStatement(parseStatement(p.sql, p.name));
      if (!statement.relations.some((r) => r.name === p.entity)) {
        problems.push(loaded.source.problem(path, `the statement does not use ${p.entity}`));
      }
    } catch (error) {
      if (!(error instanceof SqlSyntaxError)) throw error;
      problems.push(
        loaded.source.problem(
          path,
          `SQL syntax error at ${error.line}:${error.column} of the statement: ${error.parserMessage}`,
        ),
      );
    }
  });
  if (problems.length > 0) throwProblems(loaded.file, problems);
}

/** Reads and parses a model file; a missing file is an {@link InputError}. */
export async function loadModel(path: string, displayName = path): Promise<LoadedModel> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new InputError(`cannot read model file ${displayName}: ${(cause as Error).message}`, { cause });
  }
  const loaded = parseModel(text, displayName);
  await loadParser();
  checkPatternSql(loaded);
  return loaded;
}
