import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Option } from 'commander';
import { InputError, UsageError } from '../../errors.js';
import { loadLintConfig } from '../../lint/config.js';
import { collectFiles } from '../../lint/files.js';
import type { LintSource } from '../../lint/linter.js';
import { startParse } from '../../lint/parse-ahead.js';
import { isPresetId, PRESET_IDS, PRESETS } from '../../lint/presets.js';
import { isProfile, type Profile } from '../../lint/rule.js';
import type { SchemaModel } from '../../lint/schema-model.js';
import type { CommandModule } from '../command.js';
import { progress } from '../io.js';
import {
  addOutputOptions,
  addTargetOptions,
  emitReport,
  type OutputFlags,
  type TargetFlags,
  withClient,
} from '../shared.js';

interface LintFlags extends OutputFlags, TargetFlags {
  db?: string | boolean;
  profile?: string;
  preset?: string;
  config?: string;
  pgVersion?: string;
  since?: string;
  listRules?: boolean;
}

function parseProfiles(value: string | undefined): Profile[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((s) => s.trim());
  if (parts.includes('all')) return ['safety', 'design', 'style'];
  for (const p of parts)
    if (!isProfile(p)) throw new UsageError(`--profile takes safety, design, style or all, got "${p}"`);
  return parts as Profile[];
}

/**
 * Compiler settings for this short-lived process (process-wide, worker threads included), applied only when the
 * CLI runs as its own process (`bin/dbsage.js`): library users, tests and other hosts calling `main()` keep V8's
 * defaults. Must run before the parser's module is compiled.
 *
 * - `--liftoff-only` keeps the parser's WebAssembly on V8's baseline compiler (Liftoff). V8 re-compiles hot
 *   WASM functions with its optimizing compiler in background threads, and for libpg-query (whose grammar is one
 *   huge function) that compile costs more CPU than a lint run ever wins back: parsing a 10,000-statement
 *   migration took 150 ms of CPU on Liftoff alone and 500 ms with tier-up, on a 2-core machine where that
 *   background work competes with the lint itself. A CLI run parses once and exits, so it never reaches the
 *   point where the optimized code pays off.
 * - `--no-turbo-inlining` keeps TurboFan from inlining callees into the functions it optimizes. The replay and
 *   the rules are many mid-sized functions; with inlining, optimizing the ~90 hot ones took about 250 ms of
 *   CPU on background threads in a 10,000-statement run, without inlining about 150 ms, and the main thread
 *   was no slower (360-380 ms either way). On a loaded 2-core machine those threads compete with the lint.
 * - `--interrupt-budget` four times V8's default: a function is optimized after about four times as much
 *   bytecode has run in it, so only the really hot ones are (background compile CPU 170 -> 85 ms, the main
 *   thread 10-20 ms slower; 90 ms less CPU in all, the same wall time on an idle core and less on a busy one).
 */
function cliCompilerFlags(): void {
  setFlagsFromString('--liftoff-only');
  setFlagsFromString('--no-turbo-inlining');
  setFlagsFromString('--interrupt-budget=270336');
}

/**
 * `dbsage lint <files|dirs> [--db [url]]`: replays migrations in order through a schema model (seeded from the
 * live catalog with `--db`) and reports migration-safety and design findings. Syntax errors become findings
 * with their location, the other files are still linted, and the exit code is 2.
 */
export const command: CommandModule = {
  name: 'lint',
  order: 20,
  register(program, ctx) {
    const cmd = program
      .command('lint')
      .description('lint SQL migrations and schema files (and, with --db, the live catalog) for safety and design')
      .argument('[paths...]', 'SQL files or directories, in migration order')
      .option('--db [url]', 'seed the schema model from a live database (URL, or DATABASE_URL / PG* env)')
      .addOption(new Option('--profile <profiles>', 'rule profiles: safety,design,style or all (default all)'))
      .addOption(
        new Option('--preset <tool>', 'migration tool: how it orders files and wraps transactions').choices([
          ...PRESET_IDS,
        ]),
      )
      .option('--config <file>', 'config file (default: dbsage.config.json when present)')
      .option('--pg-version <major>', 'PostgreSQL major version the migrations target (default 17, or the --db server)')
      .option('--since <file>', 'files before this one are already deployed: replayed for the model, not reported')
      .option('--list-rules', 'list the rules and exit');
    addTargetOptions(addOutputOptions(cmd)).action(async (paths: string[], flags: LintFlags) => {
      if (flags.listRules) {
        const { ALL_RULES } = await import('../../lint/rule-set.js');
        for (const r of ALL_RULES)
          ctx.io.stdout(`${r.id.padEnd(38)} ${r.profile.padEnd(7)} ${r.severity.padEnd(9)} ${r.description}\n`);
        return;
      }
      const config = loadLintConfig(ctx.io.cwd, flags.config);
      const presetId = flags.preset ?? config.preset ?? 'plain';
      if (!isPresetId(presetId)) throw new UsageError(`unknown preset ${presetId}`);
      const useDb = flags.db !== undefined || flags.embedded !== undefined;
      if (paths.length === 0 && !useDb)
        throw new UsageError('give migration files or directories, or --db to lint a live database');
      const pgVersion = flags.pgVersion === undefined ? config.pgVersion : Number(flags.pgVersion);
      if (pgVersion !== undefined && (!Number.isInteger(pgVersion) || pgVersion < 9))
        throw new UsageError('--pg-version takes a major version such as 15');
      const bar = progress(ctx.io, Boolean(flags.quiet));
      const files = collectFiles(paths, { cwd: ctx.io.cwd, preset: PRESETS[presetId], ignore: config.ignore });
      if (paths.length > 0 && files.length === 0) throw new InputError(`no SQL files found in ${paths.join(', ')}`);
      let history = flags.since !== undefined;
      if (flags.since !== undefined && !files.some((f) => f.display === flags.since || f.path.endsWith(flags.since!))) {
        throw new UsageError(`--since ${flags.since} is not one of the files to lint`);
      }
      const sources: LintSource[] = files.map((f) => {
        if (history && (f.display === flags.since || f.path.endsWith(flags.since!))) history = false;
        let text: string;
        try {
          text = readFileSync(f.path, 'utf8');
        } catch (error) {
          throw new InputError(`cannot read ${f.display}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
            cause: error,
          });
        }
        return { file: f.display, text, history };
      });
      if (ctx.io.ownProcess) cliCompilerFlags();
      // The parser's WebAssembly compiles on V8's background threads while this thread loads the linter (a
      // failure to load surfaces when the linter awaits the parser).
      import('../../sql/parser.js').then((parser) => parser.loadParser()).catch(() => undefined);
      // A large input starts parsing in a worker now, while this thread loads the linter (and reads the catalog).
      const ahead = startParse(sources, PRESETS[presetId]);
      try {
        let model: SchemaModel | undefined;
        let target: string | undefined;
        if (useDb) {
          bar.update('reading the catalog');
          const url = typeof flags.db === 'string' ? flags.db : undefined;
          const [{ readCatalog }, { modelFromCatalog }] = await Promise.all([
            import('../../catalog/introspect.js'),
            import('../../lint/catalog-model.js'),
          ]);
          await withClient(url, flags, async (client) => {
            target = client.description;
            const catalog = await client.transaction((tx) => readCatalog(tx, { stats: false }));
            model = modelFromCatalog(catalog);
          });
        }
        bar.update(`linting ${sources.length} files`);
        const { lintSources } = await import('../../lint/linter.js');
        const result = await lintSources(
          sources,
          {
            ...((parseProfiles(flags.profile) ?? config.profiles)
              ? { profiles: parseProfiles(flags.profile) ?? config.profiles }
              : {}),
            rules: config.rules,
            preset: presetId,
            ...(config.transaction ? { transaction: config.transaction } : {}),
            ...(pgVersion !== undefined ? { pgVersion } : {}),
            ...(model ? { model } : {}),
            ...(config.smallTableBytes !== undefined ? { smallTableBytes: config.smallTableBytes } : {}),
            ...(config.largeTableBytes !== undefined ? { largeTableBytes: config.largeTableBytes } : {}),
          },
          ahead,
        );
        bar.done();
        const report = {
          title: 'dbsage lint',
          ...(target ? { target } : {}),
          findings: result.findings,
          notes: [
            `${result.files} file${result.files === 1 ? '' : 's'}, ${result.statements} statements, preset ${presetId}, ${result.rules.length} rules`,
            ...(result.syntaxErrors
              ? [
                  `${result.syntaxErrors} syntax error${result.syntaxErrors === 1 ? '' : 's'}: those statements were not linted`,
                ]
              : []),
          ],
          sources: result.sources,
        };
        ctx.setExitCode(emitReport(report, flags, ctx.io));
        if (result.syntaxErrors > 0) ctx.setExitCode(2);
      } finally {
        await ahead?.close();
      }
    });
  },
};
