import type { Queryable } from '../../engines/postgres/client.js';
import type { Finding } from '../../findings/finding.js';
import { findingFingerprint } from '../../findings/fingerprint.js';
import type { PoolStats } from '../instrument/pool-stats.js';

/** What the server allows, read from the target. */
export interface ServerConnectionBudget {
  maxConnections: number;
  /** superuser_reserved_connections (+ reserved_connections on 16+). */
  reserved: number;
  /** Client backends connected now that are not this application (other apps, admin tools, replicas' walsenders excluded). */
  otherClients: number;
  /** Client backends of this application now (by application_name), when one was named. */
  appClients: number;
}

/** Inputs of the pool-size advice. */
export interface PoolAdviceInput {
  server: ServerConnectionBudget;
  /** Application instances (processes/pods) each holding its own pool. */
  instances: number;
  /** Measured pool health of one instance (`instrument(pool).stats()`), when available. */
  stats?: PoolStats;
  /** Concurrency measured otherwise (peak active connections per instance). */
  peakActive?: number;
  /** Share of max_connections kept free for admin sessions, migrations and spikes. Default 0.1. */
  headroomShare?: number;
  /** Headroom over measured peak concurrency. Default 0.25. */
  concurrencyHeadroom?: number;
  /** CPU cores of the database server, for the "cores × 2 + spindles" ceiling (HikariCP's pool-sizing note). */
  dbCores?: number;
}

/** The advice with every step of the arithmetic. */
export interface PoolAdvice {
  suggestedPerInstance: number;
  budgetPerInstance: number;
  demandPerInstance: number | null;
  saturated: boolean;
  arithmetic: string[];
  finding: Finding;
}

/** Reads max_connections, the reserved slots and who else is connected. */
export async function readConnectionBudget(db: Queryable, applicationName?: string): Promise<ServerConnectionBudget> {
  const { rows } = await db.query<{ max: string; su: string; res: string | null; others: number; app: number }>(
    `SELECT current_setting('max_connections') AS max,
            current_setting('superuser_reserved_connections') AS su,
            current_setting('reserved_connections', true) AS res,
            count(*) FILTER (WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
                               AND application_name IS DISTINCT FROM $1)::int AS others,
            count(*) FILTER (WHERE backend_type = 'client backend' AND application_name = $1)::int AS app
       FROM pg_stat_activity`,
    [applicationName ?? null],
  );
  const r = rows[0]!;
  return {
    maxConnections: Number(r.max),
    reserved: Number(r.su) + Number(r.res ?? 0),
    otherClients: r.others,
    appClients: r.app,
  };
}

/**
 * Suggests a pool size per application instance: the connection budget (max_connections minus reserved slots,
 * other clients and a headroom share) divided by the instances, against the demand measured by
 * `instrument(pool)` (peak active connections plus headroom; a pool that made callers wait at its maximum is
 * saturated and its true demand unknown). Every step of the arithmetic is returned for the report.
 */
export function advisePoolSize(input: PoolAdviceInput): PoolAdvice {
  const s = input.server;
  const headroomShare = input.headroomShare ?? 0.1;
  const concurrencyHeadroom = input.concurrencyHeadroom ?? 0.25;
  const headroom = Math.ceil(s.maxConnections * headroomShare);
  const budget = Math.max(0, s.maxConnections - s.reserved - s.otherClients - headroom);
  const perInstance = Math.floor(budget / Math.max(1, input.instances));
  const arithmetic = [
    `budget = max_connections ${s.maxConnections} − reserved ${s.reserved} − other clients ${s.otherClients} − headroom ${headroom} (${Math.round(headroomShare * 100)} %) = ${budget}`,
    `per instance = floor(${budget} ÷ ${input.instances} instances) = ${perInstance}`,
  ];
  const peak = input.stats?.peakActive ?? input.peakActive;
  const maxSize = input.stats?.maxSize ?? null;
  const saturated = Boolean(
    input.stats &&
      maxSize !== null &&
      input.stats.peakActive >= maxSize &&
      (input.stats.waitedAcquisitions > 0 || input.stats.peakWaiting > 0),
  );
  let demand: number | null = null;
  if (peak !== undefined) {
    demand = Math.ceil(peak * (1 + concurrencyHeadroom));
    arithmetic.push(`demand = ceil(peak active ${peak} × ${1 + concurrencyHeadroom}) = ${demand}`);
    if (saturated && maxSize !== null) {
      demand = Math.max(demand, Math.ceil(maxSize * 1.5));
      arithmetic.push(
        `the pool was saturated (peak active = max ${maxSize}, ${input.stats!.waitedAcquisitions} acquisitions waited, p99 wait ${input.stats!.acquireWaitMillis.p99.toFixed(1)} ms): true demand is above ${maxSize}, taken as ≥ ${demand}`,
      );
    }
  }
  let suggested = demand === null ? perInstance : Math.min(perInstance, Math.max(2, demand));
  if (input.dbCores) {
    const ceiling = input.dbCores * 2 + 1;
    const total = suggested * input.instances;
    arithmetic.push(
      `server ceiling ≈ cores ${input.dbCores} × 2 + 1 = ${ceiling} active connections in total (HikariCP's pool-sizing rule of thumb); planned total ${total}`,
    );
    if (total > ceiling * 4)
      arithmetic.push(
        'far above what the server can run at once: the extra connections only queue inside PostgreSQL; prefer a transaction pooler (PgBouncer)',
      );
  }
  arithmetic.push(
    `suggested = ${demand === null ? 'the per-instance budget (no measured concurrency)' : `min(per instance ${perInstance}, max(2, demand ${demand}))`} = ${suggested}`,
  );
  const overBudget = demand !== null && demand > perInstance;
  if (suggested < 1) suggested = 1;
  const severity = overBudget
    ? 'high'
    : saturated
      ? 'medium'
      : maxSize !== null && suggested < maxSize
        ? 'low'
        : 'info';
  const title = overBudget
    ? `Pool demand (${demand} per instance) exceeds the connection budget (${perInstance} per instance × ${input.instances})`
    : `Pool size per instance: ${suggested}${maxSize !== null ? ` (now ${maxSize})` : ''} for ${input.instances} instance${input.instances > 1 ? 's' : ''}`;
  return {
    suggestedPerInstance: suggested,
    budgetPerInstance: perInstance,
    demandPerInstance: demand,
    saturated,
    arithmetic,
    finding: {
      ruleId: 'pool-size',
      category: 'config',
      severity,
      title,
      summary: overBudget
        ? 'The instances together need more connections than the server allows: requests will wait for connections or fail to connect. Put a transaction pooler in front, lower per-instance concurrency, or raise max_connections with the memory it costs.'
        : 'Every instance holds its own pool, so the instances together must fit in max_connections with room for admin sessions; the size should cover the measured concurrency with some headroom and no more.',
      evidence: {
        maxConnections: s.maxConnections,
        reserved: s.reserved,
        otherClients: s.otherClients,
        instances: input.instances,
        budgetPerInstance: perInstance,
        peakActive: peak ?? null,
        currentMax: maxSize,
        saturated,
        ...(input.stats
          ? {
              acquireWaitP99Millis: Math.round(input.stats.acquireWaitMillis.p99 * 100) / 100,
              waitedAcquisitions: input.stats.waitedAcquisitions,
            }
          : {}),
        suggestedPerInstance: suggested,
        arithmetic,
      },
      remediation: {
        code: `new pg.Pool({ max: ${suggested} })`,
        steps: overBudget
          ? [
              'Run PgBouncer in transaction mode and point the instances at it, or reduce instances × pool size below the budget.',
            ]
          : [`Set the pool's max to ${suggested} on each of the ${input.instances} instances.`],
      },
      location: { object: 'connection pool' },
      fingerprint: findingFingerprint('pool-size', input.instances),
    },
  };
}
