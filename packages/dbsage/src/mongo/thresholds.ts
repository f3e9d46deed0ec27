/**
 * Every number a MongoDB rule compares against, with its default and where it comes from, in one place so a
 * team can tune them (`--threshold name=value` or the library option) and reports never decide severity.
 */
export interface MongoThresholds {
  /**
   * Array elements above which an array is "unbounded". 10 000: the figure MongoDB's Atlas Performance Advisor
   * and Compass Performance Insights use for their "avoid unbounded arrays" insight.
   */
  arrayElements: number;
  /**
   * An array whose length grows with document age (Pearson r at or above this, over at least
   * `growthMinDocuments` documents and with a longest array of at least `growthMinLength`) is reported as growing
   * without bound before it reaches `arrayElements`. dbsage's own heuristic.
   */
  growthCorrelation: number;
  growthMinDocuments: number;
  growthMinLength: number;
  /** Bytes above which a document is "bloated": 2 MB, the Performance Advisor's "reduce bloated documents". */
  documentBytes: number;
  /** BSON hard limit on a document (and on one aggregation output document): 16 MiB. */
  documentLimitBytes: number;
  /** Share of the 16 MiB limit at which a document is reported as approaching it (critical). */
  documentLimitShare: number;
  /** Indexes on one collection above which the advisor flags "remove unnecessary indexes": 30. */
  indexesPerCollection: number;
  /** Collections in one database above which the advisor flags "reduce the number of collections": 100. */
  collections: number;
  /** A `$skip` above this is better done with range pagination. dbsage's default. */
  skip: number;
  /** More `$lookup` stages than this in one pipeline (the figure: three). */
  lookupsPerPipeline: number;
  /**
   * Share of a collection's read operations (by frequency) that `$lookup` the same foreign collection at or
   * above which the join is "heavy" and embedding is worth considering. dbsage's default.
   */
  lookupShare: number;
  /** In-memory limit of one blocking aggregation stage: 100 MiB (MongoDB aggregation pipeline limits). */
  stageMemoryBytes: number;
  /**
   * Cardinality classes of William Zola's "6 Rules of Thumb for MongoDB Schema Design" (MongoDB blog, 2014):
   * one-to-few is "a few dozen" at most; one-to-many "up to a few hundred"; beyond that, one-to-squillions.
   */
  fewMax: number;
  manyMax: number;
  /**
   * Extra document writes caused by keeping copies in sync (source updates × documents holding a copy), per read
   * of the holding collection, at or above which denormalizing costs more than the join it saves (the
   * extended-reference pattern wants fields that rarely change). dbsage's default.
   */
  denormalizedUpdateRatio: number;
  /** Share of pairs whose values agree for a field to count as a denormalized copy. */
  denormalizedAgreement: number;
}

/** The defaults (see each field for the source). */
export const DEFAULT_MONGO_THRESHOLDS: Readonly<MongoThresholds> = Object.freeze({
  arrayElements: 10_000,
  growthCorrelation: 0.6,
  growthMinDocuments: 8,
  growthMinLength: 200,
  documentBytes: 2 * 1024 * 1024,
  documentLimitBytes: 16 * 1024 * 1024,
  documentLimitShare: 0.75,
  indexesPerCollection: 30,
  collections: 100,
  skip: 1_000,
  lookupsPerPipeline: 3,
  lookupShare: 0.2,
  stageMemoryBytes: 100 * 1024 * 1024,
  fewMax: 50,
  manyMax: 1_000,
  denormalizedUpdateRatio: 0.1,
  denormalizedAgreement: 0.9,
});

/** Merges user overrides over the defaults, rejecting unknown names and non-positive numbers. */
export function resolveThresholds(overrides: Readonly<Record<string, unknown>> = {}): MongoThresholds {
  const out: MongoThresholds = { ...DEFAULT_MONGO_THRESHOLDS };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in out)) throw new TypeError(`unknown MongoDB threshold "${key}"`);
    const n = typeof value === 'string' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
      throw new TypeError(`threshold ${key} takes a non-negative number`);
    }
    (out as unknown as Record<string, number>)[key] = n;
  }
  return out;
}
