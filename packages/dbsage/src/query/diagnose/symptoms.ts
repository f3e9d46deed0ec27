/** The classic symptoms `dbsage diagnose` knows. */
export const SYMPTOMS = [
  'query-timeout',
  'connections-exhausted',
  'deadlocks',
  'slow-bulk-insert',
  'cache-inconsistency',
  'high-cpu',
  'disk-growing',
] as const;
export type Symptom = (typeof SYMPTOMS)[number];

/** Runtime check for a symptom name. */
export function isSymptom(value: unknown): value is Symptom {
  return typeof value === 'string' && (SYMPTOMS as readonly string[]).includes(value);
}

/** What a symptom's diagnosis runs: analyzer ids (most telling cause first) and whether top statements are explained. */
export interface SymptomPlan {
  /** One line for `--help`. */
  description: string;
  /** Analyzer ids, ordered from the most to the least likely cause; unknown ids are skipped. */
  analyzers: readonly string[];
  /** EXPLAIN the heaviest statements of the workload and add their plan insights. */
  explainTopStatements: boolean;
  /** Steps to check outside the database, shown when nothing conclusive is found. */
  alsoCheck: readonly string[];
}

/**
 * Which checks answer which symptom, ordered by how often each is the cause in practice (the order is the
 * relevance weight when causes are ranked).
 */
export const SYMPTOM_PLANS: Readonly<Record<Symptom, SymptomPlan>> = {
  'query-timeout': {
    description: 'statements hit statement_timeout or the application timeout',
    analyzers: [
      'blocked-sessions',
      'long-running-queries',
      'idle-in-transaction',
      'slow-queries',
      'seq-scan-heavy-table',
      'stale-vacuum-analyze',
      'work-mem-spills',
      'temp-file-spill',
      'unindexed-foreign-key',
      'query-n-plus-one',
      'top-statements',
    ],
    explainTopStatements: true,
    alsoCheck: [
      'The application timeout may be shorter than the query; compare it with the slow statements’ mean time.',
    ],
  },
  'connections-exhausted': {
    description: '"too many clients" / "remaining connection slots are reserved", pool acquire timeouts',
    analyzers: [
      'connection-usage',
      'idle-in-transaction',
      'idle-connections',
      'long-running-queries',
      'blocked-sessions',
      'prepared-transactions',
      'n-plus-one-statements',
      'query-n-plus-one',
    ],
    explainTopStatements: false,
    alsoCheck: [
      'Sum the pool sizes of all application instances against max_connections: `dbsage pool-advice --instances N --stats FILE`.',
      'Checkouts held across slow work (HTTP calls inside a transaction) show up as long checkouts in instrument(pool).stats().',
    ],
  },
  deadlocks: {
    description: 'deadlock detected (40P01) errors',
    analyzers: [
      'deadlocks',
      'blocked-sessions',
      'unindexed-foreign-key',
      'long-running-queries',
      'idle-in-transaction',
    ],
    explainTopStatements: false,
    alsoCheck: [
      'Make every code path lock rows in the same order (e.g. ORDER BY id … FOR UPDATE) and keep transactions short.',
    ],
  },
  'slow-bulk-insert': {
    description: 'COPY / multi-row INSERT much slower than expected',
    analyzers: [
      'checkpoint-pressure',
      'exact-duplicate-index',
      'left-prefix-index',
      'unused-index',
      'invalid-index',
      'index-bloat',
      'track-io-timing-off',
      'autovacuum-disabled',
    ],
    explainTopStatements: false,
    alsoCheck: [
      'Every index and row trigger is maintained per row: drop or defer what the load does not need, load with COPY in large batches.',
      'synchronous_commit = off for the loading session avoids a WAL flush per commit.',
    ],
  },
  'cache-inconsistency': {
    description: 'the application cache serves stale or wrong data',
    analyzers: [
      'replication-lag',
      'rollback-ratio',
      'idle-in-transaction',
      'long-running-queries',
      'prepared-transactions',
    ],
    explainTopStatements: false,
    alsoCheck: [
      'Invalidate after COMMIT, not before (a cache filled between the write and the commit keeps the old value).',
      'Reads from a replica lag behind writes: read your own writes from the primary, or version the cache keys.',
      '`dbsage cache-advice` lists which tables’ writes must invalidate which cached statements.',
    ],
  },
  'high-cpu': {
    description: 'database CPU near 100 %',
    analyzers: [
      'top-statements',
      'slow-queries',
      'seq-scan-heavy-table',
      'n-plus-one-statements',
      'query-n-plus-one',
      'jit-time-share',
      'cache-hit-rate',
      'stale-vacuum-analyze',
      'connection-usage',
    ],
    explainTopStatements: true,
    alsoCheck: ['Many active connections on few cores context-switch: compare active sessions with the core count.'],
  },
  'disk-growing': {
    description: 'database size grows faster than the data',
    analyzers: [
      'xmin-horizon',
      'inactive-replication-slot',
      'idle-in-transaction',
      'prepared-transactions',
      'vacuum-lag',
      'table-bloat',
      'index-bloat',
      'autovacuum-disabled',
      'unused-index',
      'temp-file-spill',
    ],
    explainTopStatements: false,
    alsoCheck: ['WAL kept for an inactive replication slot or a failing archive_command grows pg_wal, not the tables.'],
  },
};
