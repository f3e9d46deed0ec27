import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { zodProblems } from '../design/model/load.js';
import { throwProblems, YamlSource } from '../design/model/yaml-source.js';
import { InputError } from '../errors.js';
import { type Answers, QUESTIONS } from './questions.js';

/**
 * The answers file of `dbsage choose --answers FILE` (YAML or JSON): a flat map of question id → answer value,
 * a list for multi-select questions. Validated against the questionnaire so a typo names the key, the allowed
 * values and the line.
 */
export const answersSchema = z.strictObject(
  Object.fromEntries(
    QUESTIONS.map((q) => {
      const values = q.choices.map((c) => c.value) as [string, ...string[]];
      const one = z.enum(values);
      return [
        q.id,
        (q.multiple ? z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(one)) : one).optional(),
      ];
    }),
  ),
);

/** Parses an answers file's text; problems throw an InputError with file:line:col (exit 2). */
export function parseAnswers(text: string, file: string): Answers {
  const source = YamlSource.parse(text, file);
  const data = source.data ?? {};
  const parsed = answersSchema.safeParse(data);
  if (!parsed.success) throwProblems(file, zodProblems(parsed.error, source));
  const out: Record<string, string | readonly string[]> = {};
  for (const [k, v] of Object.entries(parsed.data)) if (v !== undefined) out[k] = v as string | string[];
  return out;
}

/** Reads and parses an answers file. */
export async function loadAnswers(path: string, displayName = path): Promise<Answers> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new InputError(`cannot read answers file ${displayName}: ${(cause as Error).message}`, { cause });
  }
  return parseAnswers(text, displayName);
}

/** Question ids not answered (they take their defaults). */
export function unanswered(answers: Answers): string[] {
  return QUESTIONS.filter((q) => answers[q.id] === undefined).map((q) => q.id);
}
