import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedModel } from './model/load.js';
import { generateMongo, type MongoDesign } from './mongo/generate.js';
import { generatePostgres, type PostgresDesign } from './postgres/generate.js';
import { rationaleMarkdown } from './rationale.js';

/** Targets of `dbsage design`. */
export const DESIGN_TARGETS = ['postgres', 'mongo', 'both'] as const;
export type DesignTarget = (typeof DESIGN_TARGETS)[number];

/** Runtime check for a target name. */
export function isDesignTarget(value: unknown): value is DesignTarget {
  return typeof value === 'string' && (DESIGN_TARGETS as readonly string[]).includes(value);
}

/** Everything one design run produces. */
export interface DesignResult {
  postgres?: PostgresDesign;
  mongo?: MongoDesign;
  rationale: string;
}

/** Generates the requested targets and the rationale for a loaded model. */
export async function runDesign(loaded: LoadedModel, target: DesignTarget): Promise<DesignResult> {
  const postgres = target === 'mongo' ? undefined : await generatePostgres(loaded.logical);
  const mongo = target === 'postgres' ? undefined : generateMongo(loaded.logical);
  return {
    ...(postgres ? { postgres } : {}),
    ...(mongo ? { mongo } : {}),
    rationale: rationaleMarkdown({
      logical: loaded.logical,
      ...(postgres ? { postgres } : {}),
      ...(mongo ? { mongo } : {}),
    }),
  };
}

/**
 * Writes a design into `dir`: `postgres/0001_<name>.sql` (the ordered migration), `mongo/collections.json`
 * (validators and index specs) and `mongo/setup.mongosh.js`, and `rationale.md`. Returns the paths written.
 */
export async function writeDesign(result: DesignResult, name: string, dir: string): Promise<string[]> {
  const written: string[] = [];
  const put = async (rel: string, text: string) => {
    const path = join(dir, rel);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, text);
    written.push(path);
  };
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'schema';
  if (result.postgres) await put(join('postgres', `0001_${slug}.sql`), result.postgres.sql);
  if (result.mongo) {
    await put(join('mongo', 'collections.json'), `${JSON.stringify(result.mongo.collections, null, 2)}\n`);
    await put(join('mongo', 'setup.mongosh.js'), result.mongo.script);
  }
  await put('rationale.md', result.rationale);
  return written;
}
