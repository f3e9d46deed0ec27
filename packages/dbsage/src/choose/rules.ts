import type { EngineId } from './engines.js';
import { type Answers, answered } from './questions.js';

/**
 * The ranking rules: for one answer, points for or against engines with the reason in words. Each rule names
 * the answer it rests on, so every line of the output is traceable to something the user said. Points are
 * judgement, written down: a strong fit is +20 to +45, a real drawback −10 to −25, a nuance ±3 to ±8.
 */
export interface Rule {
  /** Question id and answer value this rule fires on. */
  question: string;
  value: string;
  /** Extra condition beyond the answer (e.g. only for large data). */
  when?: (a: Answers) => boolean;
  effects: Partial<Record<EngineId, { points: number; because: string }>>;
}

const r = (question: string, value: string, effects: Rule['effects'], when?: Rule['when']): Rule => ({
  question,
  value,
  effects,
  ...(when ? { when } : {}),
});

const big = (a: Answers) => answered(a, 'data_size', 'large') || answered(a, 'data_size', 'very-large');

/** All rules. */
export const RULES: readonly Rule[] = [
  // Data shape.
  r('data_shape', 'relational', {
    postgresql: { points: 15, because: 'joins, foreign keys and constraints across entities are what it is built for' },
    mysql: { points: 12, because: 'a relational engine: joins and foreign keys' },
    mongodb: { points: -10, because: 'relationships across collections mean $lookup or duplicated data' },
    dynamodb: { points: -10, because: 'no joins: relationships must be pre-joined into item collections' },
    cassandra: { points: -10, because: 'no joins: one table per query' },
  }),
  r('data_shape', 'documents', {
    mongodb: { points: 25, because: 'documents are its native model: nested data is read and written as one' },
    postgresql: { points: 12, because: 'jsonb stores documents with GIN indexes, next to relational data' },
    dynamodb: { points: 5, because: 'items can hold nested maps and lists' },
    mysql: { points: 2, because: 'a JSON type exists, with weaker indexing (generated columns only)' },
  }),
  r('data_shape', 'key-value', {
    redis: { points: 25, because: 'a key-value server in memory' },
    dynamodb: { points: 25, because: 'get/put by key with single-digit-millisecond latency at any size' },
    cassandra: { points: 10, because: 'partition-key lookups are its fast path' },
  }),
  r('data_shape', 'time-series', {
    postgresql: {
      points: 15,
      because: 'with TimescaleDB: hypertables, compression, continuous aggregates, retention, in SQL',
    },
    influxdb: { points: 30, because: 'built for timestamped measurements: retention policies and downsampling' },
    clickhouse: { points: 15, because: 'columnar storage compresses and scans time series fast' },
    cassandra: { points: 10, because: 'time-bucketed partitions take high-rate appends' },
  }),
  r('data_shape', 'graph', {
    neo4j: { points: 45, because: 'index-free adjacency: traversals cost per hop, not per table size' },
    postgresql: { points: 5, because: 'recursive CTEs handle shallow traversals' },
  }),
  r('data_shape', 'text', {
    elasticsearch: { points: 40, because: 'BM25 relevance, analyzers per language, facets and highlighting' },
    postgresql: { points: 10, because: 'built-in full-text search (tsvector, GIN, ts_rank) covers simple search' },
    mongodb: { points: 5, because: 'Atlas Search (Lucene) where Atlas is used' },
  }),
  r('data_shape', 'vectors', {
    postgresql: { points: 25, because: 'pgvector: HNSW/IVFFlat indexes next to the rows the vectors describe' },
    elasticsearch: { points: 15, because: 'dense-vector kNN search combined with text relevance' },
    redis: { points: 5, because: 'vector similarity in memory (Redis Stack / Redis 8)' },
  }),
  // Needs.
  r('needs', 'varying-attributes', {
    postgresql: {
      points: 12,
      because: 'jsonb for the varying attributes, GIN (jsonb_path_ops) to query them, columns for the rest',
    },
    mongodb: { points: 15, because: 'each document carries its own attributes; no migrations for new ones' },
    mysql: { points: 3, because: 'JSON columns, indexed through generated columns' },
  }),
  r('needs', 'fuzzy-text', {
    postgresql: { points: 10, because: 'pg_trgm: GIN trigram indexes serve ILIKE %…% and similarity()' },
    elasticsearch: { points: 10, because: 'n-gram analyzers and fuzzy queries' },
    mysql: { points: -3, because: 'no trigram index: ILIKE %…% scans' },
  }),
  r('needs', 'relevance-search', {
    elasticsearch: { points: 30, because: 'relevance ranking (BM25), synonyms, facets: a search engine' },
    postgresql: { points: 5, because: 'ts_rank works for basic ranking, without BM25 or facets' },
    mongodb: { points: 3, because: 'Atlas Search where Atlas is used' },
  }),
  r('needs', 'vector-similarity', {
    postgresql: { points: 15, because: 'pgvector with HNSW indexes' },
    elasticsearch: { points: 8, because: 'kNN on dense vectors' },
    redis: { points: 5, because: 'in-memory vector search' },
    mongodb: { points: 3, because: 'Atlas Vector Search where Atlas is used' },
  }),
  r('needs', 'geospatial', {
    postgresql: { points: 20, because: 'PostGIS: the reference spatial database' },
    mongodb: { points: 8, because: '2dsphere indexes for near/within' },
    elasticsearch: { points: 5, because: 'geo_point and geo_shape queries' },
  }),
  r('needs', 'multi-hop', {
    neo4j: { points: 35, because: 'multi-hop traversals (friends of friends, shortest paths) are its core' },
    postgresql: { points: -5, because: 'recursive CTEs slow down quickly beyond two or three hops' },
    mongodb: { points: -5, because: '$graphLookup is limited to one collection and memory-bound' },
    dynamodb: { points: -15, because: 'each hop is another round of requests' },
    cassandra: { points: -15, because: 'each hop is another round of queries' },
    redis: { points: -10, because: 'traversals must be coded by hand' },
  }),
  r('needs', 'time-windows', {
    postgresql: { points: 10, because: 'TimescaleDB time_bucket and continuous aggregates' },
    influxdb: { points: 15, because: 'windowed aggregates and downsampling are built in' },
    clickhouse: { points: 12, because: 'fast GROUP BY over time buckets on columnar data' },
    cassandra: { points: -10, because: 'no aggregation: every window must be precomputed by the application' },
    dynamodb: { points: -10, because: 'no aggregation: every window must be precomputed by the application' },
  }),
  r('needs', 'analytics', {
    clickhouse: { points: 35, because: 'columnar scans and vectorised aggregation over billions of rows' },
    postgresql: { points: 3, because: 'fine for analytics on a replica up to a few hundred GB' },
    dynamodb: { points: -20, because: 'no ad-hoc aggregation: full scans are slow and costly' },
    redis: { points: -20, because: 'no query language for aggregates over data at rest' },
    cassandra: { points: -15, because: 'no ad-hoc aggregation' },
  }),
  r(
    'needs',
    'analytics',
    {
      postgresql: { points: -10, because: 'row storage scans terabytes slowly for ad-hoc aggregates' },
      mysql: { points: -15, because: 'row storage and a weaker planner for large aggregates' },
      mongodb: { points: -10, because: 'aggregation pipelines over terabytes are slow' },
    },
    big,
  ),
  r('needs', 'counters', {
    redis: { points: 25, because: 'INCR, sorted sets and TTLs: counters and leaderboards in memory' },
    dynamodb: { points: 5, because: 'atomic counters with UpdateItem' },
    cassandra: { points: 5, because: 'counter columns' },
  }),
  // Access.
  r('access', 'key-lookups', {
    dynamodb: { points: 20, because: 'get/put by key is its whole model, with predictable latency' },
    redis: { points: 15, because: 'key lookups in memory' },
    cassandra: { points: 15, because: 'partition-key lookups' },
  }),
  r('access', 'known-patterns', {
    dynamodb: { points: 10, because: 'single-table design serves known access patterns' },
    cassandra: { points: 8, because: 'one table per known query' },
    mongodb: { points: 5, because: 'documents shaped for the known reads' },
  }),
  r('access', 'ad-hoc', {
    postgresql: { points: 15, because: 'a cost-based planner for arbitrary joins and filters' },
    mysql: { points: 8, because: 'SQL for ad-hoc queries' },
    clickhouse: { points: 5, because: 'SQL over any column' },
    dynamodb: { points: -25, because: 'queries outside the key design need scans or new indexes' },
    cassandra: { points: -25, because: 'queries outside the partition key are not supported efficiently' },
    redis: { points: -25, because: 'no ad-hoc query language' },
    influxdb: { points: -5, because: 'queries are shaped around time and tags' },
    neo4j: { points: -5, because: 'tabular reporting is not its strength' },
  }),
  // Transactions and consistency.
  r('transactions', 'multi-record', {
    postgresql: { points: 15, because: 'ACID transactions across any rows and tables, with serializable isolation' },
    mysql: { points: 12, because: 'InnoDB transactions across tables' },
    mongodb: { points: 3, because: 'multi-document transactions exist but cost more than single-document writes' },
    neo4j: { points: 3, because: 'ACID transactions' },
    dynamodb: { points: -5, because: 'TransactWriteItems is limited to 100 items and costs double' },
    cassandra: {
      points: -25,
      because: 'no multi-partition transactions (lightweight transactions are single-partition)',
    },
    redis: { points: -15, because: 'MULTI/EXEC has no rollback and durability is asynchronous by default' },
    influxdb: { points: -20, because: 'no transactions' },
    clickhouse: { points: -25, because: 'no transactions for OLTP' },
    elasticsearch: { points: -25, because: 'no transactions; not a system of record' },
  }),
  r('transactions', 'single-record', {
    mongodb: { points: 5, because: 'single-document writes are atomic' },
    dynamodb: { points: 5, because: 'conditional writes on one item are atomic' },
  }),
  r('consistency', 'strong', {
    cassandra: { points: -10, because: 'strong reads need QUORUM on both sides, at a latency cost' },
    elasticsearch: { points: -10, because: 'near-real-time: a write is searchable only after a refresh' },
    dynamodb: { points: -3, because: 'strongly consistent reads cost double and are not available on global indexes' },
    clickhouse: { points: -5, because: 'replication is asynchronous' },
  }),
  r('consistency', 'eventual', {
    cassandra: { points: 5, because: 'eventual consistency lets it take writes anywhere' },
    dynamodb: { points: 3, because: 'eventually consistent reads are cheaper' },
    elasticsearch: { points: 3, because: 'near-real-time search is acceptable' },
  }),
  // Writes.
  r('write_rate', 'high', {
    postgresql: { points: -8, because: 'one primary takes the writes: batching, partitioning and tuning needed' },
    mysql: { points: -10, because: 'one primary takes the writes' },
    cassandra: { points: 15, because: 'writes scale linearly with nodes' },
    dynamodb: { points: 15, because: 'partitions scale writes without operations work' },
    redis: { points: 10, because: 'in-memory writes' },
    mongodb: { points: 3, because: 'sharding spreads writes' },
  }),
  r('write_rate', 'very-high', {
    postgresql: { points: -20, because: 'a single primary tops out; sharding (Citus) is an operations project' },
    mysql: { points: -20, because: 'a single primary tops out; sharding (Vitess) is an operations project' },
    neo4j: { points: -15, because: 'writes go through one leader' },
    cassandra: { points: 25, because: 'designed for hundreds of thousands of writes per second' },
    dynamodb: { points: 20, because: 'scales writes by partition with no ceiling to manage' },
    redis: { points: 10, because: 'in-memory writes, sharded with Redis Cluster' },
    clickhouse: { points: 10, because: 'batched inserts of millions of rows per second' },
  }),
  r('write_pattern', 'append-only', {
    clickhouse: { points: 8, because: 'append-only inserts suit its merge-tree storage' },
    cassandra: { points: 8, because: 'LSM storage suits appends' },
    influxdb: { points: 5, because: 'append-only points are its workload' },
    postgresql: { points: 3, because: 'BRIN indexes and time partitions make appends cheap' },
  }),
  r('write_pattern', 'read-mostly', {
    postgresql: { points: 2, because: 'read replicas and caching serve read-mostly loads' },
    redis: { points: 3, because: 'as a cache in front of the system of record' },
  }),
  // Retention.
  r('retention', 'months', {
    influxdb: { points: 8, because: 'retention policies drop old data automatically' },
    postgresql: { points: 3, because: 'time partitions (or TimescaleDB retention) drop old data without DELETE' },
    cassandra: { points: 5, because: 'TTL per write' },
    dynamodb: { points: 3, because: 'TTL attribute expires items' },
  }),
  r('retention', 'ephemeral', {
    redis: { points: 30, because: 'per-key TTLs in memory: expiry is free' },
    dynamodb: { points: 5, because: 'TTL expires items (within about two days)' },
    mongodb: { points: 3, because: 'TTL indexes' },
    postgresql: { points: -10, because: 'short-lived rows mean constant DELETE and vacuum churn' },
    mysql: { points: -10, because: 'short-lived rows mean constant DELETE and purge work' },
    elasticsearch: { points: -10, because: 'not meant for short-lived data' },
    neo4j: { points: -10, because: 'not meant for short-lived data' },
    clickhouse: { points: -10, because: 'not meant for point writes and deletes' },
    influxdb: { points: -5, because: 'short-lived key-value data is not time series' },
  }),
  // Size.
  r('data_size', 'large', {
    postgresql: { points: -5, because: 'works, with partitioning and careful vacuum tuning' },
    mysql: { points: -5, because: 'works, with partitioning' },
    redis: { points: -20, because: 'everything lives in RAM' },
    neo4j: { points: -5, because: 'a graph of this size needs a large page cache' },
    clickhouse: { points: 5, because: 'compression and columnar scans at this size' },
    dynamodb: { points: 5, because: 'size is not a concern' },
    cassandra: { points: 5, because: 'spreads data over nodes' },
  }),
  r('data_size', 'very-large', {
    postgresql: { points: -15, because: 'beyond one node: sharding (Citus) or splitting the data' },
    mysql: { points: -15, because: 'beyond one node: sharding (Vitess)' },
    redis: { points: -30, because: 'everything lives in RAM' },
    neo4j: { points: -15, because: 'beyond one machine, graph traversals lose their locality' },
    mongodb: { points: 3, because: 'built-in sharding' },
    dynamodb: { points: 12, because: 'petabyte tables without operations work' },
    cassandra: { points: 12, because: 'adds nodes for size' },
    clickhouse: { points: 10, because: 'compression and columnar scans at this size' },
  }),
  r('data_size', 'small', {
    clickhouse: { points: -5, because: 'small data does not need a columnar engine' },
  }),
  // Latency.
  r('latency', 'sub-ms', {
    redis: { points: 25, because: 'in-memory reads in well under a millisecond' },
    postgresql: { points: -5, because: 'sub-millisecond reads need everything in cache and a pooler' },
    mysql: { points: -5, because: 'sub-millisecond reads need everything in cache' },
    mongodb: { points: -5, because: 'sub-millisecond reads need everything in cache' },
    dynamodb: { points: -5, because: 'single-digit milliseconds (sub-millisecond only with DAX)' },
    cassandra: { points: -5, because: 'millisecond reads' },
    elasticsearch: { points: -10, because: 'search requests take milliseconds to tens of milliseconds' },
    clickhouse: { points: -15, because: 'built for throughput, not point-read latency' },
    neo4j: { points: -5, because: 'millisecond traversals' },
  }),
  r('latency', 'relaxed', {
    clickhouse: { points: 5, because: 'analytics latency is acceptable' },
  }),
  // Scale-out.
  r('scale_out', 'read-replicas', {
    postgresql: { points: 2, because: 'streaming replicas for reads' },
    mysql: { points: 2, because: 'read replicas' },
  }),
  r('scale_out', 'multi-region-writes', {
    postgresql: { points: -15, because: 'one writable primary; multi-writer setups are exotic' },
    mysql: { points: -15, because: 'one writable primary; group replication is limited' },
    neo4j: { points: -15, because: 'one leader per database' },
    redis: { points: -5, because: 'active-active needs Redis Enterprise' },
    dynamodb: { points: 20, because: 'global tables: multi-region, multi-writer, managed' },
    cassandra: { points: 20, because: 'masterless: every region takes writes' },
    mongodb: { points: 5, because: 'sharding with zones puts data near its region' },
  }),
  // Durability.
  r('durability', 'can-rebuild', {
    redis: { points: 10, because: 'losing recent writes on a crash is acceptable here' },
  }),
  r('durability', 'must-not-lose', {
    redis: { points: -10, because: 'persistence is asynchronous unless appendfsync always (slow)' },
    elasticsearch: { points: -5, because: 'not a system of record: keep the source data elsewhere' },
  }),
  // Operations.
  r('operations', 'minimal', {
    postgresql: { points: 10, because: 'one boring database, managed by every cloud, known by most engineers' },
    mysql: { points: 8, because: 'managed everywhere and widely known' },
    dynamodb: { points: 10, because: 'serverless: no servers, no vacuum, no upgrades (AWS only)' },
    mongodb: { points: 3, because: 'Atlas runs it for you' },
    cassandra: { points: -20, because: 'repairs, compaction and tombstones need dedicated operators' },
    neo4j: { points: -10, because: 'a second, specialised system to run' },
    clickhouse: { points: -8, because: 'a second, specialised system to run' },
    elasticsearch: { points: -10, because: 'a cluster to size, upgrade and keep in sync with the source' },
    influxdb: { points: -8, because: 'a second, specialised system to run' },
    redis: { points: -2, because: 'one more system, though a simple one' },
  }),
  r('operations', 'several', {
    cassandra: { points: 5, because: 'the team can run it' },
    neo4j: { points: 5, because: 'the team can run a specialised system' },
    clickhouse: { points: 5, because: 'the team can run a specialised system' },
    elasticsearch: { points: 5, because: 'the team can run a search cluster' },
    influxdb: { points: 5, because: 'the team can run a specialised system' },
  }),
  // Experience.
  // Operating experience outweighs feature differences for ordinary workloads.
  r('team_knows', 'postgresql', { postgresql: { points: 10, because: 'the team already runs it well' } }),
  r('team_knows', 'mysql', {
    mysql: {
      points: 35,
      because: 'the team already runs it well: experience outweighs feature differences for ordinary OLTP',
    },
  }),
  r('team_knows', 'mongodb', {
    mongodb: { points: 30, because: 'the team already runs it well: experience outweighs feature differences' },
  }),
];
