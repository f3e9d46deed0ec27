import { resolve } from 'node:path';
import { Option } from 'commander';
import { DESIGN_TARGETS, type DesignTarget, runDesign, writeDesign } from '../../design/design.js';
import { loadModel } from '../../design/model/load.js';
import { UsageError } from '../../errors.js';
import type { CommandModule } from '../command.js';
import { addTargetOptions, type TargetFlags, withClient } from '../shared.js';

interface DesignFlags extends TargetFlags {
  target: DesignTarget;
  out?: string;
  from?: string | boolean;
  rationale?: boolean;
  schema?: string;
  quiet?: boolean;
}

/**
 * `dbsage design MODEL`: from a model with access patterns to a PostgreSQL migration, MongoDB collections and a
 * rationale; `dbsage design --from TARGET`: an existing database (and its pg_stat_statements) into a model file.
 */
export const command: CommandModule = {
  name: 'design',
  order: 20,
  register(program, ctx) {
    addTargetOptions(
      program
        .command('design')
        .description(
          'generate a PostgreSQL migration, MongoDB collections and a rationale from a model file (or --from a database: write the model)',
        )
        .argument('[model]', 'model file (dbsage.model.yaml)')
        .addOption(new Option('--target <target>', 'what to generate').choices([...DESIGN_TARGETS]).default('postgres'))
        .option('--out <dir>', 'write the migration, MongoDB files and rationale.md into DIR')
        .option('--rationale', 'print the markdown rationale (decisions, ER diagram) instead of the DDL')
        .option('--from [target]', 'introspect a PostgreSQL database (URL, --embedded, or DATABASE_URL) into a model')
        .option('--schema <name>', 'with --from: the schema to read (default public)')
        .option('--quiet', 'no summary on stderr'),
    ).action(async (modelPath: string | undefined, flags: DesignFlags) => {
      if (flags.from !== undefined) {
        if (modelPath) throw new UsageError('design: give either a model file or --from, not both');
        const { introspectModel } = await import('../../design/from/introspect.js');
        const target = typeof flags.from === 'string' ? flags.from : undefined;
        const result = await withClient(target, flags, (client) =>
          introspectModel(client, flags.schema ? { schema: flags.schema } : {}),
        );
        if (flags.out) {
          const { mkdir, writeFile } = await import('node:fs/promises');
          const dir = resolve(ctx.io.cwd, flags.out);
          await mkdir(dir, { recursive: true });
          const path = resolve(dir, 'dbsage.model.yaml');
          await writeFile(path, result.yaml);
          if (!flags.quiet) ctx.io.stderr(`model written to ${path}\n`);
        } else {
          ctx.io.stdout(result.yaml);
        }
        if (!flags.quiet) for (const note of result.notes) ctx.io.stderr(`note: ${note}\n`);
        return;
      }
      if (!modelPath) throw new UsageError('design: give a model file (dbsage.model.yaml) or --from TARGET');
      const loaded = await loadModel(resolve(ctx.io.cwd, modelPath), modelPath);
      const result = await runDesign(loaded, flags.target);
      if (flags.out) {
        const written = await writeDesign(result, loaded.model.name, resolve(ctx.io.cwd, flags.out));
        for (const path of written) ctx.io.stdout(`${path}\n`);
        if (!flags.quiet) {
          const pg = result.postgres;
          ctx.io.stderr(
            `${loaded.logical.tables.length} tables${pg ? `, ${pg.indexes.length} indexes` : ''}${result.mongo ? `, ${result.mongo.collections.length} collections` : ''}, ${(pg?.decisions.length ?? 0) + (result.mongo?.decisions.length ?? 0)} decisions\n`,
          );
        }
        return;
      }
      if (flags.rationale || flags.target === 'both') {
        ctx.io.stdout(result.rationale);
        if (flags.target === 'both' && !flags.rationale) {
          ctx.io.stdout(`\n## PostgreSQL migration\n\n\`\`\`sql\n${result.postgres!.sql}\`\`\`\n`);
          ctx.io.stdout(`\n## MongoDB setup\n\n\`\`\`js\n${result.mongo!.script}\`\`\`\n`);
        }
        return;
      }
      ctx.io.stdout(flags.target === 'mongo' ? result.mongo!.script : result.postgres!.sql);
    });
  },
};
