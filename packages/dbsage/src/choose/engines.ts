/**
 * The engines `dbsage choose` ranks. PostgreSQL is the boring default: one well-understood, widely hosted
 * database whose extensions (jsonb is built in; pg_trgm, pgvector, PostGIS, TimescaleDB) cover most special needs
 * well enough that a second system has to earn its place.
 */

/** Engine ids. */
export const ENGINE_IDS = [
  'postgresql',
  'mysql',
  'mongodb',
  'redis',
  'dynamodb',
  'cassandra',
  'influxdb',
  'elasticsearch',
  'neo4j',
  'clickhouse',
] as const;
export type EngineId = (typeof ENGINE_IDS)[number];

/** An engine with its base score and a one-line description. */
export interface Engine {
  id: EngineId;
  name: string;
  /** What it is in one line. */
  what: string;
  /**
   * Starting score before any answer: how often the engine is the right call for a typical application. The
   * boring default starts highest so that a specialised system must be justified by the answers.
   */
  base: number;
}

/** The engine catalogue. */
export const ENGINES: Readonly<Record<EngineId, Engine>> = {
  postgresql: {
    id: 'postgresql',
    name: 'PostgreSQL',
    what: 'relational, ACID, rich SQL, extensions for documents, text, vectors, geo and time series',
    base: 60,
  },
  mysql: { id: 'mysql', name: 'MySQL (InnoDB)', what: 'relational, ACID, simple and widely hosted', base: 45 },
  mongodb: {
    id: 'mongodb',
    name: 'MongoDB',
    what: 'document store with flexible schemas and built-in sharding',
    base: 40,
  },
  redis: { id: 'redis', name: 'Redis', what: 'in-memory key-value and data-structure server', base: 20 },
  dynamodb: {
    id: 'dynamodb',
    name: 'Amazon DynamoDB',
    what: 'serverless key-value / wide-column store with predictable latency at any scale',
    base: 30,
  },
  cassandra: {
    id: 'cassandra',
    name: 'Apache Cassandra / ScyllaDB',
    what: 'masterless wide-column store for very high write rates across regions',
    base: 20,
  },
  influxdb: { id: 'influxdb', name: 'InfluxDB', what: 'purpose-built time-series database', base: 15 },
  elasticsearch: {
    id: 'elasticsearch',
    name: 'Elasticsearch / OpenSearch',
    what: 'search engine: BM25 relevance, analyzers, facets, highlighting',
    base: 15,
  },
  neo4j: { id: 'neo4j', name: 'Neo4j', what: 'native graph database with Cypher', base: 15 },
  clickhouse: { id: 'clickhouse', name: 'ClickHouse', what: 'columnar analytics database', base: 15 },
};

/** The boring default. */
export const BORING_DEFAULT: EngineId = 'postgresql';
