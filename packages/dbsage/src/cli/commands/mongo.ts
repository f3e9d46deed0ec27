import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { collectLiveDataset } from '../../engines/mongo/collect.js';
import { DriverMongoReader, redactMongoUri } from '../../engines/mongo/driver-reader.js';
import { InputError, UsageError } from '../../errors.js';
import { analyzeMongo } from '../../mongo/analyze.js';
import { loadOfflineDataset } from '../../mongo/offline.js';
import { parsePipelineFile, parseQueries } from '../../mongo/operations.js';
import type { MongoDataset, MongoOperation } from '../../mongo/types.js';
import type { Report } from '../../report/render.js';
import type { CommandModule } from '../command.js';
import { progress } from '../io.js';
import { addOutputOptions, emitReport, type OutputFlags } from '../shared.js';

interface MongoFlags extends OutputFlags {
  db?: string;
  collection?: string;
  samples: string[];
  pipeline: string[];
  queries?: string;
  sampleSize: string;
  maxTime: string;
  threshold: string[];
  typescript?: string;
  jsonSchema?: string;
  profile: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} takes a positive integer, got "${value}"`);
  return n;
}

function readText(cwd: string, file: string): string {
  try {
    return readFileSync(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
}

/**
 * `dbsage mongo [mongodb-uri]`: schema inference, anti-patterns, modelling advice, pipeline/query lint with
 * index advice and mingo dry runs, on a live database (read-only: listCollections, $sample, listIndexes,
 * $indexStats, $collStats, system.profile, each with maxTimeMS) or on exported documents (`--samples`).
 */
export const command: CommandModule = {
  name: 'mongo',
  order: 60,
  register(program, ctx) {
    addOutputOptions(
      program
        .command('mongo')
        .description(
          'MongoDB: infer the schema, find anti-patterns, advise embed/reference, lint pipelines, dry-run them',
        )
        .argument('[mongodb-uri]', 'mongodb:// or mongodb+srv:// URI (default: MONGODB_URI); omit with --samples')
        .option('--db <name>', 'database (default: the one in the URI)')
        .option(
          '--collection <name>',
          'only this collection (live), or the collection of a single --samples file / bare --pipeline',
        )
        .option(
          '--samples <path>',
          'NDJSON / JSON array / mongoexport file, or a directory of them with an optional dataset.json (repeatable)',
          collect,
          [],
        )
        .option('--pipeline <file>', 'aggregation pipeline to lint and dry-run (repeatable)', collect, [])
        .option(
          '--queries <file>',
          'workload: JSON/NDJSON of find/aggregate/update… commands, each with an optional frequency',
        )
        .option('--sample-size <n>', 'documents sampled per collection', '1000')
        .option('--max-time <ms>', 'maxTimeMS on every server command', '15000')
        .option(
          '--threshold <name=value>',
          'override a rule threshold, e.g. arrayElements=5000 (repeatable)',
          collect,
          [],
        )
        .option('--typescript <file>', 'write TypeScript declarations of the inferred schema')
        .option('--json-schema <file>', 'write the $jsonSchema validators (one per collection) as JSON')
        .option('--no-profile', 'do not read system.profile (live)'),
    ).action(async (uriArg: string | undefined, flags: MongoFlags) => {
      const sampleSize = positiveInt(flags.sampleSize, '--sample-size');
      const maxTimeMillis = positiveInt(flags.maxTime, '--max-time');
      const thresholds: Record<string, string> = {};
      for (const t of flags.threshold) {
        const [k, v] = t.split('=');
        if (!k || v === undefined) throw new UsageError(`--threshold takes name=value, got "${t}"`);
        thresholds[k] = v;
      }
      const uri = uriArg ?? (flags.samples.length === 0 ? ctx.io.env.MONGODB_URI : undefined);
      if (uri && flags.samples.length > 0) throw new UsageError('give a MongoDB URI or --samples, not both');
      if (!uri && flags.samples.length === 0) {
        throw new UsageError('nothing to analyse: give a mongodb:// URI (or MONGODB_URI) or --samples FILE|DIR');
      }
      if (uri && !/^mongodb(\+srv)?:\/\//.test(uri)) {
        throw new UsageError(`not a MongoDB URI: ${redactMongoUri(uri)} (expected mongodb:// or mongodb+srv://)`);
      }
      const bar = progress(ctx.io, Boolean(flags.quiet));
      let dataset: MongoDataset;
      let target: string;
      if (uri) {
        const files: MongoOperation[] = [];
        if (flags.queries) files.push(...parseQueries(readText(ctx.io.cwd, flags.queries), flags.queries));
        for (const p of flags.pipeline) files.push(...parsePipelineFile(readText(ctx.io.cwd, p), p, flags.collection));
        bar.update('connecting');
        const reader = await DriverMongoReader.open(uri, {
          ...(flags.db ? { database: flags.db } : {}),
          maxTimeMillis,
        });
        try {
          target = `${reader.target}${flags.db ? ` (db ${flags.db})` : ''}`;
          dataset = await collectLiveDataset(reader, {
            sampleSize,
            ...(flags.collection ? { collection: flags.collection } : {}),
            profileEntries: flags.profile ? 1000 : 0,
            operations: files,
            progress: (l, f) => bar.update(l, f),
          });
        } finally {
          await reader.close().catch(() => undefined);
        }
      } else {
        dataset = loadOfflineDataset({
          samples: flags.samples,
          ...(flags.collection ? { collection: flags.collection } : {}),
          ...(flags.db ? { database: flags.db } : {}),
          ...(flags.queries ? { queries: flags.queries } : {}),
          pipelines: flags.pipeline,
          sampleSize,
          cwd: ctx.io.cwd,
        });
        target = `samples: ${flags.samples.join(', ')}`;
      }
      bar.update('analysing');
      let analysis: Awaited<ReturnType<typeof analyzeMongo>>;
      try {
        analysis = await analyzeMongo(dataset, { thresholds, typescript: Boolean(flags.typescript) });
      } catch (error) {
        if (error instanceof TypeError && /threshold/.test(error.message))
          throw new UsageError(`--threshold: ${error.message}`);
        throw error;
      }
      bar.done();
      if (flags.typescript) writeFileSync(resolve(ctx.io.cwd, flags.typescript), analysis.typescript ?? '');
      if (flags.jsonSchema) {
        const out = Object.fromEntries([...analysis.validators].map(([k, v]) => [k, { $jsonSchema: v }]));
        writeFileSync(resolve(ctx.io.cwd, flags.jsonSchema), `${JSON.stringify(out, null, 2)}\n`);
      }
      const sources = new Map<string, string>();
      for (const f of [...flags.pipeline, ...(flags.queries ? [flags.queries] : [])])
        sources.set(f, readText(ctx.io.cwd, f));
      const report: Report = {
        title: `dbsage mongo — ${dataset.database}`,
        target,
        findings: analysis.findings,
        notes: [
          `${dataset.mode === 'live' ? 'live, read-only' : 'offline'}: ${dataset.collections.size} collections sampled (${[...dataset.collections.values()].reduce((a, c) => a + c.documents.length, 0)} documents), ${dataset.operations.length} operations`,
          ...analysis.notes,
        ],
        sources,
      };
      ctx.setExitCode(emitReport(report, flags, ctx.io));
    });
  },
};
