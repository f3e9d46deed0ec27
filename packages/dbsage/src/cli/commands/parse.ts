import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { extractStatement } from '../../sql/extract.js';
import { fingerprintSql, loadParser, normalizeSql } from '../../sql/parser.js';
import { splitSql } from '../../sql/split.js';
import type { CommandModule } from '../command.js';

/**
 * `dbsage parse FILE.sql`: shows what dbsage understands of each statement (fingerprint, normalized text and the
 * extracted model the advisor and linters use). Syntax errors are reported as file:line:col with the parser's
 * message (exit 2); the other statements are still shown.
 */
export const command: CommandModule = {
  name: 'parse',
  order: 80,
  register(program, ctx) {
    program
      .command('parse')
      .description('parse a SQL file and print each statement’s fingerprint and extracted model as JSON')
      .argument('<file>', 'SQL file')
      .action(async (file: string) => {
        await loadParser();
        let source: string;
        try {
          source = readFileSync(resolve(ctx.io.cwd, file), 'utf8');
        } catch (error) {
          throw new InputError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
            cause: error,
          });
        }
        const { statements, errors } = splitSql(source, file);
        const out = statements.map((s) => ({
          location: `${file}:${s.line}:${s.column}`,
          kind: s.kind,
          fingerprint: fingerprintSql(s.text),
          normalized: normalizeSql(s.text),
          model: extractStatement(s.ast),
        }));
        ctx.io.stdout(`${JSON.stringify(out, null, 2)}\n`);
        for (const e of errors) ctx.io.stderr(`dbsage: ${e.message}\n`);
        if (errors.length > 0) ctx.setExitCode(2);
      });
  },
};
