import type { MongoCollectionStats, MongoDocument, MongoIndex } from '../../mongo/types.js';

/** A collection as `listCollections` describes it. */
export interface CollectionInfo {
  name: string;
  /** `collection`, `view` or `timeseries`. */
  type: string;
}

/** Index counters as `$indexStats` returns them. */
export interface IndexStat {
  name: string;
  ops: number;
  since?: string;
}

/**
 * The read-only subset of a MongoDB server the analysis uses, one method per server command. Nothing here can
 * write: there is no method taking a user pipeline, an update or a command. The driver implementation puts
 * `maxTimeMS` on every command; tests can run the analysis against recorded replies through the same driver.
 */
export interface MongoReader {
  /** Database the reader is bound to. */
  readonly database: string;
  /** Redacted description of the server (`mongodb://host:port/db`), for reports. */
  readonly target: string;
  /** `listCollections`. */
  listCollections(): Promise<CollectionInfo[]>;
  /** `aggregate [{ $sample: { size } }]` (random documents, read-only). */
  sample(collection: string, size: number): Promise<MongoDocument[]>;
  /** `listIndexes`. */
  listIndexes(collection: string): Promise<MongoIndex[]>;
  /** `aggregate [{ $indexStats: {} }]`. */
  indexStats(collection: string): Promise<IndexStat[]>;
  /** `aggregate [{ $collStats: { storageStats: {} } }]` (the successor of the `collStats` command). */
  collStats(collection: string): Promise<MongoCollectionStats | undefined>;
  /** `find` on `system.profile` (newest first), when the profiler has recorded anything. */
  profile(limit: number): Promise<MongoDocument[]>;
  close(): Promise<void>;
}
