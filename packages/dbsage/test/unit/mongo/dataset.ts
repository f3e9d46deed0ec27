import type { MongoCollection, MongoDataset, MongoIndex, MongoOperation } from '../../../src/mongo/types.js';

/** Builds an in-memory dataset for rule tests. */
export function dataset(
  collections: (Partial<MongoCollection> & { name: string })[],
  operations: (Partial<MongoOperation> & { collection: string; kind: MongoOperation['kind'] })[] = [],
  extra: Partial<MongoDataset> = {},
): MongoDataset {
  return {
    database: 'test',
    mode: 'offline',
    collections: new Map(collections.map((c) => [c.name, { documents: [], ...c }])),
    operations: operations.map((o, i) => ({ frequency: 1, origin: { file: 'q.json', line: i + 1 }, ...o })),
    notes: [],
    ...extra,
  };
}

/** An index in listIndexes shape. */
export function index(name: string, key: Record<string, number | string>, extra: Partial<MongoIndex> = {}): MongoIndex {
  return { name, key, ...extra };
}
