import { operationsFromProfile } from '../../mongo/operations.js';
import type { MongoCollection, MongoDataset, MongoOperation } from '../../mongo/types.js';
import type { MongoReader } from './reader.js';

/** Options of {@link collectLiveDataset}. */
export interface CollectOptions {
  /** Documents per collection (`$sample` size). */
  sampleSize: number;
  /** Only this collection is sampled (the others are still counted for the collection-count check). */
  collection?: string;
  /** Sample at most this many collections (the largest first are not known up front; names in order). */
  maxCollections?: number;
  /** `system.profile` entries to read (0 to skip). */
  profileEntries?: number;
  /** Operations from files, added to the profiler's. */
  operations?: readonly MongoOperation[];
  /** Progress callback. */
  progress?: (label: string, fraction: number) => void;
}

function reason(error: unknown): string {
  return (error as Error).message;
}

/**
 * Reads what the analysis needs from a live database, read-only: `listCollections`, then per collection
 * `$sample`, `listIndexes`, `$indexStats` and `$collStats`, then `system.profile`. A command that fails (missing
 * privilege, time limit) becomes a note and the rest goes on.
 */
export async function collectLiveDataset(reader: MongoReader, options: CollectOptions): Promise<MongoDataset> {
  const notes: string[] = [];
  const all = await reader.listCollections();
  const names = all
    .filter((c) => !c.name.startsWith('system.'))
    .map((c) => c.name)
    .sort();
  const sampled = all
    .filter((c) => c.type === 'collection' && !c.name.startsWith('system.'))
    .map((c) => c.name)
    .filter((n) => options.collection === undefined || n === options.collection)
    .sort();
  if (options.collection !== undefined && sampled.length === 0) {
    notes.push(`collection ${options.collection} was not found in ${reader.database}.`);
  }
  const max = options.maxCollections ?? 50;
  if (sampled.length > max) notes.push(`${sampled.length} collections: the first ${max} by name were sampled.`);
  const collections = new Map<string, MongoCollection>();
  const chosen = sampled.slice(0, max);
  for (const [i, name] of chosen.entries()) {
    options.progress?.(`sampling ${name}`, i / chosen.length);
    const coll: MongoCollection = { name, documents: [] };
    try {
      coll.documents = await reader.sample(name, options.sampleSize);
    } catch (error) {
      notes.push(reason(error));
    }
    try {
      const indexes = await reader.listIndexes(name);
      try {
        const stats = new Map((await reader.indexStats(name)).map((s) => [s.name, s]));
        coll.indexes = indexes.map((ix) => {
          const s = stats.get(ix.name);
          return s ? { ...ix, accesses: { ops: s.ops, ...(s.since ? { since: s.since } : {}) } } : ix;
        });
      } catch (error) {
        coll.indexes = indexes;
        notes.push(`${reason(error)}; unused-index checks skipped for ${name}.`);
      }
    } catch (error) {
      notes.push(`${reason(error)}; indexes of ${name} unknown (only _id assumed).`);
    }
    try {
      const stats = await reader.collStats(name);
      if (stats) coll.stats = stats;
    } catch (error) {
      notes.push(reason(error));
    }
    collections.set(name, coll);
  }
  const operations: MongoOperation[] = [...(options.operations ?? [])];
  let profilerRead = false;
  if ((options.profileEntries ?? 1000) > 0) {
    try {
      const entries = await reader.profile(options.profileEntries ?? 1000);
      profilerRead = true;
      const fromProfile = operationsFromProfile(entries, reader.database);
      operations.push(...fromProfile);
      if (entries.length === 0) {
        notes.push(
          'system.profile is empty: the profiler is off. Access-pattern advice uses --queries only; enable it briefly with db.setProfilingLevel(1, { slowms: 100 }) to capture slow operations.',
        );
      }
    } catch (error) {
      notes.push(reason(error));
    }
  }
  options.progress?.('sampled', 1);
  return {
    database: reader.database,
    mode: 'live',
    collections,
    collectionNames: names,
    operations,
    profilerRead,
    notes,
  };
}
