import { readFileSync, writeFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { AnalyzerContext } from '../findings/registry.js';
import {
  DATABASE_COUNTERS,
  rawCheckpoints,
  rawDatabaseStats,
  rawIndexes,
  rawStatements,
  rawTableStats,
  relKey,
  STATEMENT_COUNTERS,
  TABLE_COUNTERS,
} from './sources.js';

/**
 * Deltas without resets. PgHero answers "what is slow *now*" by resetting pg_stat_statements, which destroys
 * everybody else's history. dbsage saves the counters to a file instead (`doctor --snapshot FILE`) and later
 * subtracts them (`doctor --since FILE`): the window between the two runs, with nothing reset on the server.
 */

/** Counters of one statement, table or index, by counter name. */
export type Counters = Record<string, number>;

/** What `--snapshot` writes. Keys are names (`queryid:userid`, `schema.table`), never numbers that can move. */
export interface Snapshot {
  format: 'dbsage-doctor-snapshot';
  version: 1;
  /** Server time when taken (ISO), so the window length does not depend on the client clock. */
  takenAt: string;
  /** The database the counters belong to (`--since` refuses a snapshot of another database). */
  databaseName: string;
  database: Counters;
  statements: Record<string, Counters>;
  tables: Record<string, Counters>;
  indexes: Record<string, { scans: number }>;
  checkpoints: { timed: number; requested: number };
}

/** The difference of a monotonic counter; a smaller current value means a reset (then the current value counts). */
export function counterDelta(current: number, before: number): { value: number; reset: boolean } {
  if (current < before) return { value: current, reset: true };
  return { value: current - before, reset: false };
}

/** Reads the counters a snapshot keeps (one query per source; pg_stat_statements only when it is available). */
export async function takeSnapshot(ctx: AnalyzerContext): Promise<Snapshot> {
  const db = await rawDatabaseStats(ctx);
  const tables = await rawTableStats(ctx);
  const idx = await rawIndexes(ctx);
  const stmts = ctx.capabilities?.hasPgStatStatements ? await rawStatements(ctx) : [];
  const cp = await rawCheckpoints(ctx);
  const pick = (row: Record<string, unknown>, keys: readonly string[]): Counters =>
    Object.fromEntries(keys.map((k) => [k, Number(row[k] ?? 0)]));
  return {
    format: 'dbsage-doctor-snapshot',
    version: 1,
    takenAt: new Date(Date.parse(db.takenAt)).toISOString(),
    databaseName: db.database,
    database: pick(db as unknown as Record<string, unknown>, DATABASE_COUNTERS),
    statements: Object.fromEntries(
      stmts.map((s) => [s.key, pick(s as unknown as Record<string, unknown>, STATEMENT_COUNTERS)]),
    ),
    tables: Object.fromEntries(
      tables.map((t) => [relKey(t.schema, t.name), pick(t as unknown as Record<string, unknown>, TABLE_COUNTERS)]),
    ),
    indexes: Object.fromEntries(idx.map((i) => [relKey(i.schema, i.name), { scans: i.scans }])),
    checkpoints: { timed: cp.timed, requested: cp.requested },
  };
}

/** Writes a snapshot as JSON. */
export function writeSnapshot(file: string, snapshot: Snapshot): void {
  writeFileSync(file, `${JSON.stringify(snapshot)}\n`);
}

/** Reads and validates a snapshot file; throws an InputError that says what is wrong with it. */
export function readSnapshot(file: string): Snapshot {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(`cannot read snapshot ${file}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const s = parsed as Partial<Snapshot>;
  if (s?.format !== 'dbsage-doctor-snapshot' || s.version !== 1) {
    throw new InputError(`${file} is not a dbsage doctor snapshot (write one with: dbsage doctor --snapshot FILE)`);
  }
  for (const key of ['database', 'statements', 'tables', 'indexes', 'checkpoints'] as const) {
    if (typeof s[key] !== 'object' || s[key] === null) throw new InputError(`snapshot ${file} has no ${key} section`);
  }
  if (typeof s.takenAt !== 'string' || !Number.isFinite(Date.parse(s.takenAt))) {
    throw new InputError(`snapshot ${file} has no valid takenAt time`);
  }
  return s as Snapshot;
}
