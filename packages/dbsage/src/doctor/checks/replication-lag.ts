import type { Finding } from '../../findings/finding.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb, maxSeverity } from '../severity.js';
import { settings } from '../sources.js';
import { query } from '../state.js';
import { formatBytes, formatSeconds, round, settingBytes } from '../units.js';

/**
 * `replication-lag`: how far each standby (pg_stat_replication, on a primary) or this standby (on a replica) is
 * behind, in bytes of WAL and in time. Byte thresholds are multiples of max_wal_size (what a lagging standby
 * makes the primary keep) rather than fixed sizes. For a WAL receiver that does not replay (pg_receivewal), the
 * flush position is used.
 */
export const replicationLag = defineCheck({
  id: 'replication-lag',
  category: 'health',
  description: 'Replica lag in bytes and time (primary: per standby; standby: replay delay)',
  options: {
    lowSeconds: {
      type: 'number',
      default: 30,
      min: 0,
      description: 'lag in time from which a standby is reported (low)',
    },
    mediumSeconds: { type: 'number', default: 300, min: 0, description: 'lag from which severity is medium' },
    highSeconds: { type: 'number', default: 3600, min: 0, description: 'lag from which severity is high' },
    lowBytes: {
      type: 'number',
      default: 64 * 1024 * 1024,
      min: 0,
      description: 'lag in bytes from which a standby is reported (low, accepts 64MB)',
    },
    mediumWalSizeFactor: {
      type: 'number',
      default: 1,
      min: 0,
      description: 'lag as a multiple of max_wal_size from which severity is medium',
    },
    highWalSizeFactor: {
      type: 'number',
      default: 10,
      min: 0,
      description: 'lag as a multiple of max_wal_size from which severity is high',
    },
  },
  limitations: [{ without: 'read_all_stats', effect: 'standby positions and lag columns are hidden' }],
  async run(ctx, o) {
    const s = await settings(ctx);
    const mws = s.get('max_wal_size');
    const maxWalBytes = settingBytes(mws?.setting, mws?.unit) ?? 1024 ** 3;
    const severityOf = (bytes: number | null, seconds: number | null) =>
      maxSeverity(
        bytes === null
          ? undefined
          : climb(bytes, {
              low: o.lowBytes,
              medium: maxWalBytes * o.mediumWalSizeFactor,
              high: maxWalBytes * o.highWalSizeFactor,
            }),
        seconds === null
          ? undefined
          : climb(seconds, { low: o.lowSeconds, medium: o.mediumSeconds, high: o.highSeconds }),
      );
    const findings: Finding[] = [];
    const recovery = (await query<{ r: boolean }>(ctx, 'SELECT pg_is_in_recovery() AS r'))[0]?.r ?? false;
    if (recovery) {
      const r = (
        await query<Record<string, unknown>>(
          ctx,
          `SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8 AS replay_bytes,
                  EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 AS replay_seconds,
                  pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AS caught_up`,
        )
      )[0]!;
      const bytes = r.replay_bytes === null ? null : Number(r.replay_bytes);
      // With no new WAL from the primary, "seconds since last replayed transaction" grows without any lag.
      const seconds = r.caught_up ? null : r.replay_seconds === null ? null : Number(r.replay_seconds);
      const severity = severityOf(bytes, seconds);
      if (severity) {
        findings.push(
          makeFinding({
            ruleId: 'replication-lag',
            category: 'health',
            severity,
            title: `This standby replays ${bytes === null ? '?' : formatBytes(bytes)} behind what it received${seconds === null ? '' : ` (${formatSeconds(seconds)})`}`,
            summary:
              'Replay on this standby is behind, so reads here return old data. Long queries on the standby (with max_standby_streaming_delay) or slow I/O are the usual causes.',
            evidence: {
              role: 'standby',
              replayLagBytes: bytes,
              replayLagSeconds: seconds === null ? null : round(seconds),
            },
            remediation: { steps: ['Look for long queries on this standby and for I/O saturation.'] },
            object: 'this standby',
            identity: ['standby'],
          }),
        );
      }
      return findings;
    }
    const rows = await query<Record<string, unknown>>(
      ctx,
      `SELECT pid, application_name, client_addr::text AS client_addr, state, sync_state,
              pg_wal_lsn_diff(pg_current_wal_lsn(), COALESCE(replay_lsn, flush_lsn, write_lsn, sent_lsn))::float8 AS lag_bytes,
              EXTRACT(EPOCH FROM COALESCE(replay_lag, flush_lag, write_lag))::float8 AS lag_seconds,
              replay_lsn IS NULL AS no_replay,
              pg_wal_lsn_diff(pg_current_wal_lsn(), sent_lsn)::float8 AS unsent_bytes
         FROM pg_stat_replication`,
    );
    for (const r of rows) {
      const bytes = r.lag_bytes === null ? null : Number(r.lag_bytes);
      const seconds = r.lag_seconds === null ? null : Number(r.lag_seconds);
      const severity = severityOf(bytes, seconds);
      if (!severity) continue;
      const name = String(r.application_name || r.client_addr || r.pid);
      findings.push(
        makeFinding({
          ruleId: 'replication-lag',
          category: 'health',
          severity,
          title: `Standby ${name} is ${bytes === null ? '?' : formatBytes(bytes)} behind${seconds === null ? '' : ` (${formatSeconds(seconds)})`}`,
          summary:
            'This standby is behind the primary: reads there are stale, failover to it would lose or wait for that WAL, and the primary keeps the WAL around meanwhile.',
          evidence: {
            standby: name,
            client: r.client_addr,
            state: r.state,
            syncState: r.sync_state,
            lagBytes: bytes,
            lagSeconds: seconds === null ? null : round(seconds, 1),
            position: r.no_replay ? 'flush (the receiver does not replay)' : 'replay',
            unsentBytes: r.unsent_bytes === null ? null : Number(r.unsent_bytes),
            maxWalSizeBytes: maxWalBytes,
          },
          remediation: {
            steps: [
              'Unsent bytes high: network or WAL sender bottleneck. Sent but not replayed: the standby is slow (I/O, or conflicts with its queries).',
              'Check the standby server log for replication conflicts and recovery messages.',
            ],
          },
          object: `standby ${name}`,
          identity: ['standby', name],
        }),
      );
    }
    return findings;
  },
});
