import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { EJSON } from 'bson';
import { InputError } from '../errors.js';
import { locateJsonError } from './json-position.js';
import { parsePipelineFile, parseQueries } from './operations.js';
import { limitSample, parseSamples } from './samples.js';
import type { MongoCollection, MongoCollectionStats, MongoDataset, MongoIndex, MongoOperation } from './types.js';

/** The optional `dataset.json` next to sample files: what a sample cannot show (counts, indexes, other collections). */
export const MANIFEST_FILE = 'dataset.json';
const SAMPLE_FILE = /\.(ndjson|jsonl|json)$/i;

/** Options of {@link loadOfflineDataset}. */
export interface OfflineOptions {
  /** Sample files (NDJSON / JSON / Extended JSON) or directories of them (one file per collection). */
  samples: readonly string[];
  /** Collection name for a single sample file or a bare pipeline (default: the file name). */
  collection?: string;
  /** Database name for reports (default: the manifest's, else the directory name). */
  database?: string;
  /** `--queries` file. */
  queries?: string;
  /** `--pipeline` files. */
  pipelines?: readonly string[];
  /** At most this many documents per collection are analysed (evenly spread, deterministic). */
  sampleSize: number;
  /** Base directory for relative paths. */
  cwd: string;
}

function read(path: string, shown: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${shown}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
}

/** Parses one JSON document (Extended JSON allowed), with file:line:column on a syntax error. */
export function parseJsonDocument(text: string, file: string): Record<string, unknown> {
  try {
    const value = EJSON.parse(text, { relaxed: true });
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new InputError(`${file}:1: expected a JSON object`);
    return value as Record<string, unknown>;
  } catch (error) {
    if (error instanceof InputError) throw error;
    const pos = locateJsonError(text);
    throw new InputError(
      `${file}:${pos ? `${pos.line}:${pos.column}: invalid JSON: ${pos.reason}` : `1: ${(error as Error).message}`}`,
      { cause: error },
    );
  }
}

interface Manifest {
  database?: string;
  collections: Record<string, { count?: number; size?: number; avgObjSize?: number; indexes?: MongoIndex[] }>;
}

function parseManifest(text: string, file: string): Manifest {
  const raw = parseJsonDocument(text, file);
  const collections = raw.collections ?? {};
  if (typeof collections !== 'object' || collections === null || Array.isArray(collections)) {
    throw new InputError(`${file}: "collections" must be an object keyed by collection name`);
  }
  for (const [name, spec] of Object.entries(collections as Record<string, unknown>)) {
    const s = spec as Record<string, unknown>;
    if (typeof s !== 'object' || s === null) throw new InputError(`${file}: collections.${name} must be an object`);
    if (s.indexes !== undefined) {
      if (!Array.isArray(s.indexes))
        throw new InputError(`${file}: collections.${name}.indexes must be an array (listIndexes output)`);
      s.indexes.forEach((ix: unknown, i: number) => {
        const x = ix as Record<string, unknown>;
        if (typeof x?.name !== 'string' || typeof x.key !== 'object' || x.key === null) {
          throw new InputError(`${file}: collections.${name}.indexes[${i}] needs "name" and "key"`);
        }
      });
    }
  }
  return {
    ...(typeof raw.database === 'string' ? { database: raw.database } : {}),
    collections: collections as Manifest['collections'],
  };
}

/**
 * Builds a dataset from exported documents: each sample file is one collection (named after the file, or
 * `--collection` for a single file); a `dataset.json` in a sample directory adds collection counts, indexes
 * (with `$indexStats` `accesses`) and collections that were not exported.
 */
export function loadOfflineDataset(options: OfflineOptions): MongoDataset {
  const notes: string[] = [];
  const files: { path: string; shown: string; collection: string }[] = [];
  let manifest: Manifest | undefined;
  let dirName: string | undefined;
  for (const given of options.samples) {
    const path = resolve(options.cwd, given);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (error) {
      throw new InputError(`cannot read ${given}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
        cause: error,
      });
    }
    if (isDir) {
      dirName ??= basename(path);
      for (const f of readdirSync(path).sort()) {
        if (f === MANIFEST_FILE) {
          manifest = parseManifest(read(join(path, f), join(given, f)), join(given, f));
          continue;
        }
        if (!SAMPLE_FILE.test(f)) continue;
        files.push({ path: join(path, f), shown: join(given, f), collection: f.replace(SAMPLE_FILE, '') });
      }
    } else {
      const name =
        options.samples.length === 1 && options.collection
          ? options.collection
          : basename(path).replace(SAMPLE_FILE, '');
      files.push({ path, shown: given, collection: name });
    }
  }
  const collections = new Map<string, MongoCollection>();
  for (const f of files) {
    const parsed = parseSamples(read(f.path, f.shown), f.shown);
    const limited = limitSample(parsed, options.sampleSize);
    if (limited.total > limited.documents.length) {
      notes.push(
        `${f.collection}: ${limited.documents.length} of ${limited.total} documents analysed (--sample-size).`,
      );
    }
    const spec = manifest?.collections[f.collection];
    const stats: MongoCollectionStats | undefined =
      spec?.count !== undefined
        ? {
            count: spec.count,
            ...(spec.size !== undefined ? { size: spec.size } : {}),
            ...(spec.avgObjSize !== undefined ? { avgObjSize: spec.avgObjSize } : {}),
          }
        : undefined;
    collections.set(f.collection, {
      name: f.collection,
      documents: limited.documents,
      lines: limited.lines,
      file: f.shown,
      ...(spec?.indexes ? { indexes: spec.indexes } : {}),
      stats: stats ?? { count: limited.total },
    });
  }
  for (const [name, spec] of Object.entries(manifest?.collections ?? {})) {
    if (collections.has(name) || !spec.indexes) continue;
    collections.set(name, {
      name,
      documents: [],
      indexes: spec.indexes,
      ...(spec.count !== undefined ? { stats: { count: spec.count } } : {}),
    });
  }
  if (!manifest)
    notes.push(
      'No dataset.json: indexes are unknown (only _id is assumed), so index advice treats every other field as unindexed.',
    );
  const operations: MongoOperation[] = [];
  if (options.queries)
    operations.push(...parseQueries(read(resolve(options.cwd, options.queries), options.queries), options.queries));
  for (const p of options.pipelines ?? []) {
    operations.push(...parsePipelineFile(read(resolve(options.cwd, p), p), p, options.collection));
  }
  const names = new Set([...collections.keys(), ...Object.keys(manifest?.collections ?? {})]);
  return {
    database: options.database ?? manifest?.database ?? dirName ?? 'samples',
    mode: 'offline',
    collections,
    collectionNames: [...names].sort(),
    operations,
    notes,
  };
}
