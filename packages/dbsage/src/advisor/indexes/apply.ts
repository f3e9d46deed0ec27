import type { PgClient, PinnedSession } from '../../engines/postgres/client.js';
import { qualifiedName } from '../../engines/postgres/quote.js';
import { candidateDdl, extensionDdl, type IndexCandidate } from './candidate.js';

/**
 * `--apply`: builds recommended indexes on a live server, one at a time, the way a careful DBA does:
 * `CREATE INDEX CONCURRENTLY IF NOT EXISTS` (writes keep flowing) in one pinned read-write session with
 * `lock_timeout` (never queue behind a long transaction and block everyone behind us), progress read from
 * `pg_stat_progress_create_index` on a second connection, and on failure or cancellation (Ctrl-C) the INVALID
 * index a failed concurrent build leaves behind is dropped with `DROP INDEX CONCURRENTLY`. An INVALID index left
 * by an earlier run under the same name is dropped first (IF NOT EXISTS would otherwise keep it). Stops at the
 * first failure.
 */

/** Options of apply, with documented defaults. */
export interface ApplyOptions {
  /** lock_timeout of the build session, ms (default 5000). */
  lockTimeoutMillis?: number;
  /** statement_timeout of each build, ms (default 0: none, a large build may take hours). */
  statementTimeoutMillis?: number;
  /** lock_timeout of the cleanup `DROP INDEX CONCURRENTLY` of an INVALID index, ms (default 30 000). */
  cleanupLockTimeoutMillis?: number;
  /** How often to read pg_stat_progress_create_index, ms (default 1000). */
  pollMillis?: number;
  /**
   * Extensions to create (IF NOT EXISTS) before the first index: those the indexes need that the database does not
   * have yet (`AdvisorResult.requiredExtensions`, e.g. pg_trgm for trigram GIN). Default none.
   */
  extensions?: readonly string[];
  /** Progress lines (phase, blocks, tuples). */
  onProgress?: (message: string, fraction?: number) => void;
  /** Aborting cancels the running build and cleans up. */
  signal?: AbortSignal;
}

/** What happened to one index. */
export interface ApplyOutcome {
  name: string;
  ddl: string;
  status: 'created' | 'exists' | 'failed' | 'cancelled' | 'not-run';
  error: string | null;
  /** An INVALID index was dropped (left by this build's failure, or by an earlier run). */
  droppedInvalid: boolean;
  millis: number;
  /** Progress phases seen while building. */
  phases: string[];
}

interface IndexState {
  valid: boolean;
}

async function indexState(client: PgClient, c: IndexCandidate): Promise<IndexState | null> {
  const r = await client.query<{ valid: boolean }>(
    'SELECT i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = to_regclass($1)',
    [qualifiedName(c.schema, c.name)],
  );
  return r.rows[0] ?? null;
}

async function dropInvalid(
  session: PinnedSession,
  client: PgClient,
  c: IndexCandidate,
  lockTimeoutMillis: number,
  progress: (message: string) => void,
): Promise<boolean> {
  const state = await indexState(client, c);
  if (!state || state.valid) return false;
  // DROP INDEX CONCURRENTLY waits for the transactions that blocked the build; it takes no lock that blocks
  // reads or writes, so it may wait longer than the build's lock_timeout.
  progress(
    `dropping INVALID index ${c.name} (waits up to ${Math.round(lockTimeoutMillis / 1000)} s for open transactions)`,
  );
  await session.query(`SET lock_timeout = ${Math.max(0, Math.trunc(lockTimeoutMillis))}`);
  try {
    await session.query(`DROP INDEX CONCURRENTLY IF EXISTS ${qualifiedName(c.schema, c.name)}`);
    return true;
  } catch {
    return false;
  } finally {
    await session.query('RESET lock_timeout').catch(() => undefined);
  }
}

/** Builds the indexes one at a time on a server. */
export async function applyRecommendations(
  client: PgClient,
  candidates: readonly IndexCandidate[],
  options: ApplyOptions = {},
): Promise<ApplyOutcome[]> {
  const progress = options.onProgress ?? (() => undefined);
  const cleanupMillis = options.cleanupLockTimeoutMillis ?? 30_000;
  const session = await client.pin({
    readOnly: false,
    lockTimeoutMillis: options.lockTimeoutMillis ?? 5000,
    statementTimeoutMillis: options.statementTimeoutMillis ?? 0,
  });
  const outcomes: ApplyOutcome[] = candidates.map((c) => ({
    name: c.name,
    ddl: candidateDdl(c, { concurrently: client.kind === 'server' }),
    status: 'not-run',
    error: null,
    droppedInvalid: false,
    millis: 0,
    phases: [],
  }));
  try {
    for (const ext of options.extensions ?? []) {
      progress(`creating extension ${ext}`);
      await session.query(extensionDdl(ext));
    }
    for (const [i, c] of candidates.entries()) {
      const out = outcomes[i]!;
      if (options.signal?.aborted) {
        out.status = 'cancelled';
        break;
      }
      const started = performance.now();
      const existing = await indexState(client, c);
      if (existing?.valid) {
        out.status = 'exists';
        continue;
      }
      if (existing && !existing.valid)
        out.droppedInvalid = await dropInvalid(session, client, c, cleanupMillis, progress);
      progress(`building ${c.name}`, 0);
      let polling = true;
      const poll = (async () => {
        while (polling) {
          await new Promise((r) => setTimeout(r, options.pollMillis ?? 1000));
          if (!polling) break;
          try {
            const r = await client.query<{
              phase: string;
              blocks_done: number;
              blocks_total: number;
              tuples_done: number;
              tuples_total: number;
            }>(
              'SELECT phase, blocks_done::int8, blocks_total::int8, tuples_done::int8, tuples_total::int8 FROM pg_stat_progress_create_index WHERE pid = $1',
              [session.pid],
            );
            const row = r.rows[0];
            if (!row) continue;
            if (!out.phases.includes(row.phase)) out.phases.push(row.phase);
            const fraction =
              row.blocks_total > 0
                ? row.blocks_done / row.blocks_total
                : row.tuples_total > 0
                  ? row.tuples_done / row.tuples_total
                  : undefined;
            progress(`building ${c.name}: ${row.phase}`, fraction);
          } catch {
            // progress is best effort
          }
        }
      })();
      try {
        await session.query(out.ddl, undefined, options.signal ? { signal: options.signal } : {});
        out.status = 'created';
      } catch (error) {
        out.status = options.signal?.aborted ? 'cancelled' : 'failed';
        out.error = error instanceof Error ? error.message : String(error);
      } finally {
        polling = false;
        await poll;
        out.millis = performance.now() - started;
      }
      if (out.status !== 'created') {
        out.droppedInvalid = (await dropInvalid(session, client, c, cleanupMillis, progress)) || out.droppedInvalid;
        if (!out.droppedInvalid && (await indexState(client, c))?.valid === false) {
          out.error = `${out.error ?? ''}; INVALID index ${c.name} is still there: DROP INDEX CONCURRENTLY ${qualifiedName(c.schema, c.name)}`;
        }
        break;
      }
      progress(`built ${c.name}`, 1);
    }
  } finally {
    await session.release();
  }
  return outcomes;
}
