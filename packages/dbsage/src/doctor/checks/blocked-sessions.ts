import type { Finding } from '../../findings/finding.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb, maxSeverity } from '../severity.js';
import { activity, type Backend, backendActionSql, clip } from '../sources.js';
import { query } from '../state.js';
import { formatSeconds, round } from '../units.js';

interface WaitingLock {
  pid: number;
  locktype: string;
  mode: string;
  relation: string | null;
  page: number | null;
  tuple: number | null;
  transactionId: string | null;
  /** Seconds since the lock wait started (pg_locks.waitstart, 14+). */
  waitSeconds: number | null;
}

/**
 * `blocked-sessions`: sessions waiting on a lock, grouped by the session at the head of the chain (the one
 * blocking others without being blocked itself). Relation locks (LOCK TABLE, DDL) and row locks (two UPDATEs of
 * one row wait on a transaction id) are found alike through pg_blocking_pids.
 */
export const blockedSessions = defineCheck({
  id: 'blocked-sessions',
  category: 'query',
  description: 'Sessions blocked by others (pg_blocking_pids), with both queries and the wait durations',
  options: {
    minWaitSeconds: {
      type: 'number',
      default: 5,
      min: 0,
      description: 'wait time from which a blocked session counts',
    },
    mediumWaitSeconds: {
      type: 'number',
      default: 30,
      min: 0,
      description: 'longest wait from which severity is medium',
    },
    highWaitSeconds: { type: 'number', default: 300, min: 0, description: 'longest wait from which severity is high' },
    highBlockedSessions: {
      type: 'number',
      default: 10,
      min: 1,
      description: 'sessions blocked behind one head from which severity is high',
    },
  },
  limitations: [{ without: 'read_all_stats', effect: "other users' blocked and blocking queries are hidden" }],
  async run(ctx, o) {
    const all = await activity(ctx);
    const byPid = new Map(all.map((b) => [b.pid, b]));
    const candidates = all.filter((b) => b.blockingPids.length > 0);
    if (candidates.length === 0) return [];
    const waitStart =
      (ctx.capabilities?.serverVersionNum ?? 150000) >= 140000
        ? 'EXTRACT(EPOCH FROM clock_timestamp() - l.waitstart)::float8'
        : 'NULL::float8';
    const locks = await query<Record<string, unknown>>(
      ctx,
      `SELECT l.pid, l.locktype, l.mode, l.relation::regclass::text AS relation, l.page, l.tuple,
              l.transactionid::text AS transaction_id, ${waitStart} AS wait_seconds
         FROM pg_locks l WHERE NOT l.granted AND l.pid = ANY ($1::int[])`,
      [candidates.map((b) => b.pid)],
    );
    const lockOf = new Map<number, WaitingLock>(
      locks.map((r) => [
        Number(r.pid),
        {
          pid: Number(r.pid),
          locktype: String(r.locktype),
          mode: String(r.mode),
          relation: r.relation === null ? null : String(r.relation),
          page: r.page === null ? null : Number(r.page),
          tuple: r.tuple === null ? null : Number(r.tuple),
          transactionId: r.transaction_id === null ? null : String(r.transaction_id),
          waitSeconds: r.wait_seconds === null ? null : Number(r.wait_seconds),
        },
      ]),
    );
    const waitOf = (b: Backend): number => lockOf.get(b.pid)?.waitSeconds ?? b.stateSeconds ?? 0;
    const waiting = candidates.filter((b) => waitOf(b) >= o.minWaitSeconds);
    if (waiting.length === 0) return [];
    // Head of the chain: follow blockers until a session that is not itself waiting.
    const headOf = (pid: number): number => {
      const seen = new Set<number>();
      let current = pid;
      for (;;) {
        const b = byPid.get(current);
        const next = b?.blockingPids[0];
        if (next === undefined || seen.has(next)) return current;
        seen.add(current);
        current = next;
      }
    };
    const groups = new Map<number, Backend[]>();
    for (const w of waiting) {
      const head = headOf(w.pid);
      groups.set(head, [...(groups.get(head) ?? []), w]);
    }
    const findings: Finding[] = [];
    for (const [headPid, blocked] of groups) {
      const head = byPid.get(headPid);
      const longest = Math.max(...blocked.map(waitOf));
      const severity =
        maxSeverity(
          climb(longest, { low: o.minWaitSeconds, medium: o.mediumWaitSeconds, high: o.highWaitSeconds }),
          climb(blocked.length, { high: o.highBlockedSessions }),
        ) ?? 'low';
      const headIdle = head?.state?.startsWith('idle in transaction') ?? false;
      const blockedEvidence = blocked.map((b) => {
        const lock = lockOf.get(b.pid);
        return {
          pid: b.pid,
          user: b.user,
          application: b.application,
          waitingSeconds: round(waitOf(b)),
          blockedBy: b.blockingPids,
          lockType: lock?.locktype ?? b.waitEvent,
          lockMode: lock?.mode ?? null,
          relation: lock?.relation ?? null,
          tuple: lock && lock.page !== null ? `(${lock.page},${lock.tuple})` : null,
          waitsForTransaction: lock?.transactionId ?? null,
          query: clip(b.query, 300),
        };
      });
      const relations = [...new Set(blockedEvidence.map((b) => b.relation).filter((r): r is string => r !== null))];
      findings.push(
        makeFinding({
          ruleId: 'blocked-sessions',
          category: 'query',
          severity,
          title: `pid ${headPid} blocks ${blocked.length} session(s), longest wait ${formatSeconds(longest)}${relations.length ? ` on ${relations.join(', ')}` : ''}`,
          summary:
            'Sessions are queued behind a lock held by another transaction; every new session touching the same rows or table joins the queue. End the blocking transaction, or fix the code path that holds locks while waiting on something else.',
          evidence: {
            blocker: head
              ? {
                  pid: head.pid,
                  user: head.user,
                  database: head.database,
                  application: head.application,
                  client: head.clientAddr,
                  state: head.state,
                  transactionSeconds: head.xactSeconds === null ? null : round(head.xactSeconds),
                  stateSeconds: head.stateSeconds === null ? null : round(head.stateSeconds),
                  query: clip(head.query, 500),
                }
              : { pid: headPid },
            blockedCount: blocked.length,
            longestWaitSeconds: round(longest),
            blocked: blockedEvidence,
          },
          remediation: head
            ? {
                sql: backendActionSql(headIdle ? 'terminate' : 'cancel', head),
                steps: [
                  headIdle
                    ? 'The blocker is idle in a transaction: cancelling does nothing, terminating rolls its transaction back.'
                    : "Cancelling the blocker's current statement releases its locks if its transaction then rolls back; terminate it if it does not.",
                  'Set lock_timeout for DDL and idle_in_transaction_session_timeout for application roles.',
                ],
              }
            : { steps: ['The blocking session has ended; re-run the check.'] },
          object: `pid ${headPid}`,
          identity: [headPid, head?.backendStart ?? ''],
        }),
      );
    }
    return findings;
  },
});
