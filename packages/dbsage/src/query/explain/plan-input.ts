import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { parseJsonPlan } from '../plan/parse-json-plan.js';
import { looksLikeTextPlan, parseTextPlan } from '../plan/parse-text-plan.js';
import type { Plan } from '../plan/plan-node.js';

/** What `dbsage explain` was given: a statement to explain, or a saved plan to read. */
export type PlanInput =
  | { kind: 'sql'; sql: string; file: string | null }
  | { kind: 'plan'; plan: Plan; json: unknown; file: string | null };

/**
 * Reads the `<sql|FILE>` argument: a file path or inline text, holding SQL, an EXPLAIN (FORMAT JSON) plan, or
 * an EXPLAIN text plan (as psql prints it). Saved plans need no database.
 */
export function readPlanInput(arg: string, cwd: string): PlanInput {
  let text = arg;
  let file: string | null = null;
  const path = resolve(cwd, arg);
  if (arg.length < 4096 && !/\n/.test(arg) && existsSync(path) && statSync(path).isFile()) {
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new InputError(`cannot read ${arg}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
    }
    file = arg;
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (error) {
      throw new InputError(`${file ?? 'the input'} starts like JSON but is not valid JSON`, { cause: error });
    }
    return { kind: 'plan', plan: parseJsonPlan(json), json, file };
  }
  if (looksLikeTextPlan(trimmed)) return { kind: 'plan', plan: parseTextPlan(trimmed), json: null, file };
  if (!trimmed) throw new InputError(`${file ?? 'the statement'} is empty`);
  return { kind: 'sql', sql: trimmed, file };
}
