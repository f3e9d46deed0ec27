/**
 * Every failure dbsage reports has a class here with a stable `code`. The CLI maps these to exit code 2 and a
 * one-line message; `--debug` adds the cause chain. Messages name the fix and never carry SQL parameters or
 * passwords.
 */

/** Stable error codes. */
export const ERROR_CODES = [
  'E_USAGE',
  'E_CONNECTION',
  'E_SQL_SYNTAX',
  'E_QUERY',
  'E_TIMEOUT',
  'E_CAPABILITY',
  'E_INPUT',
  'E_READ_ONLY',
  'E_INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Base class: a stable code, context fields and `cause` chaining. */
export class DbsageError extends Error {
  readonly code: ErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = Object.freeze({ ...(options.context ?? {}) });
  }
}

/** Bad command-line usage. */
export class UsageError extends DbsageError {
  constructor(message: string) {
    super('E_USAGE', message);
  }
}

/** A database could not be reached. `target` is already redacted (host:port, no password). */
export class ConnectionError extends DbsageError {
  constructor(target: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('E_CONNECTION', `cannot connect to ${target}: ${reason}`, { cause, context: { target } });
  }
}

/** SQL that does not parse. Carries file:line:col. */
export class SqlSyntaxError extends DbsageError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly parserMessage: string;

  constructor(file: string, line: number, column: number, parserMessage: string, cause?: unknown) {
    super('E_SQL_SYNTAX', `${file}:${line}:${column}: ${parserMessage}`, {
      cause,
      context: { file, line, column },
    });
    this.file = file;
    this.line = line;
    this.column = column;
    this.parserMessage = parserMessage;
  }
}

/** PostgreSQL fields kept from a server error (node-postgres names). */
export interface PgErrorFields {
  code?: string;
  detail?: string;
  hint?: string;
  position?: string;
  severity?: string;
}

/** A query failed on the server. Keeps SQLSTATE and fields; never includes parameters. */
export class QueryError extends DbsageError {
  readonly sqlState: string | undefined;
  readonly pg: Readonly<PgErrorFields>;

  constructor(message: string, pg: PgErrorFields, cause?: unknown) {
    super(pg.code === '57014' ? 'E_TIMEOUT' : 'E_QUERY', message, { cause, context: { sqlState: pg.code } });
    this.sqlState = pg.code;
    this.pg = Object.freeze({ ...pg });
  }
}

/** A capability (extension, privilege, setting) is missing; the message says how to enable it. */
export class CapabilityError extends DbsageError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('E_CAPABILITY', message, { context });
  }
}

/** Input files that cannot be read or understood (not SQL syntax). */
export class InputError extends DbsageError {
  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super('E_INPUT', message, options);
  }
}

/** An attempt to write where dbsage only reads. */
export class ReadOnlyError extends DbsageError {
  constructor(message: string) {
    super('E_READ_ONLY', message);
  }
}

/** Extracts PostgreSQL error fields from a driver error, if it has them. */
export function pgErrorFields(error: unknown): PgErrorFields {
  if (typeof error !== 'object' || error === null) return {};
  const e = error as Record<string, unknown>;
  const pick = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : undefined);
  const fields: PgErrorFields = {};
  for (const k of ['code', 'detail', 'hint', 'position', 'severity'] as const) {
    const v = pick(k);
    if (v !== undefined) fields[k] = v;
  }
  return fields;
}
