import {
  DEFAULT_LOCK_TIMEOUT_MILLIS,
  DEFAULT_STATEMENT_TIMEOUT_MILLIS,
  type Queryable,
  type TransactionOptions,
} from './client.js';

/** Normalised transaction options with documented defaults. */
export interface ResolvedTransactionOptions {
  readOnly: boolean;
  statementTimeoutMillis: number;
  lockTimeoutMillis: number;
  rollback: boolean;
}

/** Fills the defaults: read-only, 15 s statement timeout, 1 s lock timeout, rollback when read-only. */
export function resolveTransactionOptions(
  options: TransactionOptions = {},
  defaults: { statementTimeoutMillis?: number; lockTimeoutMillis?: number } = {},
): ResolvedTransactionOptions {
  const readOnly = options.readOnly ?? true;
  return {
    readOnly,
    statementTimeoutMillis:
      options.statementTimeoutMillis ?? defaults.statementTimeoutMillis ?? DEFAULT_STATEMENT_TIMEOUT_MILLIS,
    lockTimeoutMillis: options.lockTimeoutMillis ?? defaults.lockTimeoutMillis ?? DEFAULT_LOCK_TIMEOUT_MILLIS,
    rollback: options.rollback ?? readOnly,
  };
}

/** The one round trip that opens a transaction: BEGIN + SET LOCAL timeouts (integers only, no injection). */
export function beginSql(o: ResolvedTransactionOptions): string {
  const st = Math.max(0, Math.trunc(o.statementTimeoutMillis));
  const lt = Math.max(0, Math.trunc(o.lockTimeoutMillis));
  return `BEGIN${o.readOnly ? ' READ ONLY' : ''}; SET LOCAL statement_timeout = ${st}; SET LOCAL lock_timeout = ${lt}`;
}

/** Session-level settings for a pinned session. */
export function sessionSetupSql(o: ResolvedTransactionOptions): string {
  const st = Math.max(0, Math.trunc(o.statementTimeoutMillis));
  const lt = Math.max(0, Math.trunc(o.lockTimeoutMillis));
  return `SET default_transaction_read_only = ${o.readOnly ? 'on' : 'off'}; SET statement_timeout = ${st}; SET lock_timeout = ${lt}`;
}

/**
 * The transaction protocol both engines follow: one round trip for BEGIN + timeouts, the caller's work, then
 * ROLLBACK (read-only or asked to) or COMMIT; on failure always ROLLBACK and rethrow.
 */
export async function runTransactionOn<T>(
  exec: (sql: string) => Promise<unknown>,
  tx: Queryable,
  o: ResolvedTransactionOptions,
  fn: (tx: Queryable) => Promise<T>,
): Promise<T> {
  await exec(beginSql(o));
  let result: T;
  try {
    result = await fn(tx);
  } catch (error) {
    await exec('ROLLBACK').catch(() => undefined);
    throw error;
  }
  await exec(o.rollback ? 'ROLLBACK' : 'COMMIT');
  return result;
}
