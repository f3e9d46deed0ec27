import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option } from 'commander';
import { loadAnswers, unanswered } from '../../choose/answers.js';
import { promptAnswers } from '../../choose/prompt.js';
import type { Answers } from '../../choose/questions.js';
import { choose } from '../../choose/rank.js';
import { CHOOSE_FORMATS, type ChooseFormat, renderChoice } from '../../choose/render.js';
import { UsageError } from '../../errors.js';
import type { CommandModule } from '../command.js';

interface ChooseFlags {
  answers?: string;
  yes?: boolean;
  format: ChooseFormat;
  output?: string;
  top: string;
}

/**
 * `dbsage choose`: a short questionnaire (on a terminal, or `--answers FILE` in CI) and a ranking of database
 * engines with the boring default called out, reasons tied to the answers and what would change the call.
 */
export const command: CommandModule = {
  name: 'choose',
  order: 10,
  register(program, ctx) {
    program
      .command('choose')
      .description('rank database engines for your answers (interactive on a terminal, or --answers FILE)')
      .option('--answers <file>', 'answers file (YAML or JSON: question id → value)')
      .option('--yes', 'take the default for every unanswered question instead of asking')
      .addOption(new Option('--format <format>', 'output format').choices([...CHOOSE_FORMATS]).default('tty'))
      .option('--output <file>', 'write the result to a file instead of stdout')
      .option('--top <n>', 'engines shown with their reasons', '5')
      .action(async (flags: ChooseFlags) => {
        const top = Number(flags.top);
        if (!Number.isInteger(top) || top < 1) throw new UsageError('--top takes a positive whole number');
        let answers: Answers = flags.answers
          ? await loadAnswers(resolve(ctx.io.cwd, flags.answers), flags.answers)
          : {};
        const missing = unanswered(answers);
        if (missing.length > 0 && !flags.yes) {
          if (!process.stdin.isTTY) {
            throw new UsageError(
              `choose: ${missing.length} question(s) unanswered (${missing.join(', ')}) and no terminal to ask on: pass --answers FILE, or --yes to take the defaults`,
            );
          }
          answers = await promptAnswers(process.stdin, process.stderr, answers);
        }
        const text = renderChoice(choose(answers), flags.format, top);
        if (flags.output) writeFileSync(resolve(ctx.io.cwd, flags.output), text);
        else ctx.io.stdout(text);
      });
  },
};
