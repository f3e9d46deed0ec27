import type { DoctorCheck } from './check.js';
import { autovacuumDisabled } from './checks/autovacuum-disabled.js';
import { blockedSessions } from './checks/blocked-sessions.js';
import { cacheHitRate } from './checks/cache-hit-rate.js';
import { checkpointPressure } from './checks/checkpoint-pressure.js';
import { connectionUsage } from './checks/connection-usage.js';
import { deadlocks } from './checks/deadlocks.js';
import { exactDuplicateIndex } from './checks/exact-duplicate-index.js';
import { hotUpdateEfficiency } from './checks/hot-update-efficiency.js';
import { idleConnections } from './checks/idle-connections.js';
import { idleInTransaction } from './checks/idle-in-transaction.js';
import { inactiveReplicationSlot } from './checks/inactive-replication-slot.js';
import { indexBloat } from './checks/index-bloat.js';
import { invalidIndex } from './checks/invalid-index.js';
import { jitTimeShare } from './checks/jit-time-share.js';
import { leftPrefixIndex } from './checks/left-prefix-index.js';
import { longRunningQueries } from './checks/long-running-queries.js';
import { missingPrimaryKey } from './checks/missing-primary-key.js';
import { mostlyNullIndex } from './checks/mostly-null-index.js';
import { multixactWraparound } from './checks/multixact-wraparound.js';
import { nPlusOneStatements } from './checks/n-plus-one-statements.js';
import { pgStatStatementsMissing } from './checks/pg-stat-statements-missing.js';
import { preparedTransactions } from './checks/prepared-transactions.js';
import { randomPageCost } from './checks/random-page-cost.js';
import { replicationLag } from './checks/replication-lag.js';
import { rollbackRatio } from './checks/rollback-ratio.js';
import { seqScanHeavyTable } from './checks/seq-scan-heavy-table.js';
import { sequenceOverflow } from './checks/sequence-overflow.js';
import { slowQueries } from './checks/slow-queries.js';
import { staleVacuumAnalyze } from './checks/stale-vacuum-analyze.js';
import { tableBloat } from './checks/table-bloat.js';
import { tempFileSpill } from './checks/temp-file-spill.js';
import { topStatements } from './checks/top-statements.js';
import { trackIoTimingOff } from './checks/track-io-timing-off.js';
import { unindexedForeignKey } from './checks/unindexed-foreign-key.js';
import { unusedIndex } from './checks/unused-index.js';
import { vacuumLag } from './checks/vacuum-lag.js';
import { workMemSpills } from './checks/work-mem-spills.js';
import { xidWraparound } from './checks/xid-wraparound.js';
import { xminHorizon } from './checks/xmin-horizon.js';

/**
 * Every doctor check, in report order: queries, connections, cache and I/O, indexes, tables and vacuum,
 * wraparound, sequences, replication, configuration. Adding a check is one file in `checks/` and one line here.
 */
export const DOCTOR_CHECKS: readonly DoctorCheck[] = Object.freeze([
  slowQueries,
  topStatements,
  nPlusOneStatements,
  longRunningQueries,
  idleInTransaction,
  blockedSessions,
  deadlocks,
  rollbackRatio,
  tempFileSpill,
  jitTimeShare,
  connectionUsage,
  idleConnections,
  cacheHitRate,
  checkpointPressure,
  unusedIndex,
  exactDuplicateIndex,
  leftPrefixIndex,
  invalidIndex,
  mostlyNullIndex,
  indexBloat,
  unindexedForeignKey,
  seqScanHeavyTable,
  tableBloat,
  vacuumLag,
  staleVacuumAnalyze,
  autovacuumDisabled,
  hotUpdateEfficiency,
  missingPrimaryKey,
  xidWraparound,
  multixactWraparound,
  xminHorizon,
  preparedTransactions,
  sequenceOverflow,
  replicationLag,
  inactiveReplicationSlot,
  pgStatStatementsMissing,
  trackIoTimingOff,
  randomPageCost,
  workMemSpills,
]);

/** A check by id. */
export function findCheck(id: string): DoctorCheck | undefined {
  return DOCTOR_CHECKS.find((c) => c.id === id);
}
