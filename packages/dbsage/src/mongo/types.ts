/**
 * The one model every MongoDB check reads. Live mode (the driver) and offline mode (sample files) both build a
 * {@link MongoDataset}, so no rule knows where its documents came from and every rule is testable on plain
 * sample data.
 */

/** A sampled document, as the BSON library decodes it (ObjectId, Date, Long… instances). */
export type MongoDocument = Record<string, unknown>;

/** Where something came from: a file position (1-based) or a live source. */
export type MongoOrigin = { file: string; line: number } | { live: 'profile' | 'sample' | 'listIndexes' };

/** Index access counters from `$indexStats`. */
export interface IndexAccesses {
  /** Operations that used the index since `since`. */
  ops: number;
  /** When counting started (server start or index creation). */
  since?: string;
}

/** One index, in `listIndexes` shape plus the `$indexStats` counters when known. */
export interface MongoIndex {
  name: string;
  /** Key pattern in order: `{ a: 1, b: -1 }`, `{ title: 'text' }`, `{ loc: '2dsphere' }`. */
  key: Readonly<Record<string, number | string>>;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Readonly<Record<string, unknown>>;
  collation?: Readonly<{ locale: string; strength?: number; caseLevel?: boolean }>;
  hidden?: boolean;
  expireAfterSeconds?: number;
  accesses?: IndexAccesses;
}

/** Server-side collection statistics (collStats / `$collStats`), when known. */
export interface MongoCollectionStats {
  /** Documents in the collection (not just in the sample). */
  count: number;
  /** Uncompressed data size in bytes. */
  size?: number;
  avgObjSize?: number;
  storageSize?: number;
  totalIndexSize?: number;
  nindexes?: number;
}

/** One collection: its sampled documents and whatever else is known about it. */
export interface MongoCollection {
  name: string;
  /** Sampled documents (all of them for a small export). */
  documents: readonly MongoDocument[];
  /** Source line of each document, parallel to `documents`, for offline files. */
  lines?: readonly number[];
  /** The file the documents came from, offline. */
  file?: string;
  /** `undefined` when the indexes are unknown (offline without a manifest): only `_id_` is assumed. */
  indexes?: readonly MongoIndex[];
  stats?: MongoCollectionStats;
}

/** Operation kinds a workload entry can have. */
export const OPERATION_KINDS = ['find', 'aggregate', 'count', 'distinct', 'update', 'delete', 'insert'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** Runtime check for an operation kind. */
export function isOperationKind(value: unknown): value is OperationKind {
  return typeof value === 'string' && (OPERATION_KINDS as readonly string[]).includes(value);
}

/**
 * One operation of the workload: a query from the `--queries` file, a `--pipeline` file, or a `system.profile`
 * entry. Same shape for all three so access-pattern rules need one code path.
 */
export interface MongoOperation {
  collection: string;
  kind: OperationKind;
  filter?: Readonly<Record<string, unknown>>;
  sort?: Readonly<Record<string, number>>;
  projection?: Readonly<Record<string, unknown>>;
  limit?: number;
  skip?: number;
  pipeline?: readonly Readonly<Record<string, unknown>>[];
  /** Update document or pipeline (`u` of an update statement). */
  update?: Readonly<Record<string, unknown>> | readonly Readonly<Record<string, unknown>>[];
  collation?: Readonly<{ locale: string; strength?: number }>;
  /** Relative weight: calls per unit of time, or the number of identical profiler entries. Default 1. */
  frequency: number;
  /** A name for reports (`top-products-by-revenue`), else the shape. */
  name?: string;
  origin: MongoOrigin;
  /** Profiler figures, when the operation came from `system.profile`. */
  profile?: { millis?: number; docsExamined?: number; keysExamined?: number; nreturned?: number; planSummary?: string };
}

/** Everything the MongoDB checks see. */
export interface MongoDataset {
  database: string;
  mode: 'live' | 'offline';
  collections: ReadonlyMap<string, MongoCollection>;
  /** Collections in the database, when more are known than were sampled (listCollections). */
  collectionNames?: readonly string[];
  operations: readonly MongoOperation[];
  /** Whether the profiler was read (live) — to tell "no slow queries" from "unknown". */
  profilerRead?: boolean;
  /** Limits of the source, shown as report notes (profiler off, indexes unknown…). */
  notes: readonly string[];
}
