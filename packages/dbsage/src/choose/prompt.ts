import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import { type Answers, QUESTIONS } from './questions.js';

/**
 * Asks the questionnaire on a terminal with `node:readline/promises`: numbered choices, Enter takes the default,
 * multi-select questions take comma-separated numbers. Prompts go to `output` (stderr in the CLI, so stdout
 * carries only the result). Invalid input is asked again.
 */
export async function promptAnswers(input: Readable, output: Writable, preset: Answers = {}): Promise<Answers> {
  const rl = createInterface({ input, output, terminal: false });
  const answers: Record<string, string | readonly string[]> = { ...preset };
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (text: string): Promise<string | null> => {
    output.write(text);
    const next = await lines.next();
    return next.done ? null : String(next.value);
  };
  try {
    for (const [i, q] of QUESTIONS.entries()) {
      if (answers[q.id] !== undefined) continue;
      const defaults = Array.isArray(q.default) ? q.default : [q.default];
      const list = q.choices
        .map((c, n) => `  ${n + 1}) ${c.label}${defaults.includes(c.value) ? ' (default)' : ''}`)
        .join('\n');
      for (;;) {
        const reply = await ask(`\n${i + 1}/${QUESTIONS.length} ${q.text}\n${list}\n> `);
        if (reply === null) return answers; // end of input: the rest take their defaults
        const text = reply.trim();
        if (text === '') break;
        const picks = text.split(/[\s,]+/).map((t) => Number(t));
        const valid = picks.every((n) => Number.isInteger(n) && n >= 1 && n <= q.choices.length);
        if (!valid || (!q.multiple && picks.length !== 1)) {
          output.write(
            `  answer with ${q.multiple ? 'one or more numbers' : 'one number'} from 1 to ${q.choices.length}\n`,
          );
          continue;
        }
        const values = picks.map((n) => q.choices[n - 1]!.value);
        answers[q.id] = q.multiple ? values : values[0]!;
        break;
      }
    }
    return answers;
  } finally {
    rl.close();
  }
}
