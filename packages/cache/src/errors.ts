/**
 * Every error the cache raises, one class per failure with a stable `code` to branch on (never on message
 * text). Loader errors are not wrapped: what your loader throws is what you catch.
 */

/** Stable error codes, one per failure class. */
export const CACHE_ERROR_CODES = [
  'E_INVALID_OPTION',
  'E_INVALID_KEY',
  'E_REDIS',
  'E_REDIS_TIMEOUT',
  'E_CIRCUIT_OPEN',
  'E_LOADER_TIMEOUT',
  'E_SERIALIZATION',
  'E_CLOSED',
] as const;

/** Union of the stable error codes. */
export type CacheErrorCode = (typeof CACHE_ERROR_CODES)[number];

/** Base class: `instanceof CacheError` catches everything the cache itself raises. */
export class CacheError extends Error {
  /** Stable, documented code; safe to branch on. */
  readonly code: CacheErrorCode;

  constructor(code: CacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option failed validation when the cache was created. */
export class CacheOptionsError extends CacheError {
  /** Dotted path of the offending option, e.g. `defaults.ttl`. */
  readonly option: string;

  constructor(option: string, problem: string) {
    super('E_INVALID_OPTION', `Invalid cache option '${option}': ${problem}`);
    this.option = option;
  }
}

/** A key or tag cannot be stored (empty, or contains a character the key layout reserves). */
export class CacheKeyError extends CacheError {
  constructor(problem: string) {
    super('E_INVALID_KEY', problem);
  }
}

/** A Redis command failed. `operation` names the cache operation, never the key or value. */
export class CacheRedisError extends CacheError {
  readonly operation: string;

  constructor(operation: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('E_REDIS', `Redis command for cache ${operation} failed: ${reason}`, { cause });
    this.operation = operation;
  }
}

/** A Redis command did not answer within `redis.commandTimeout`. */
export class CacheRedisTimeoutError extends CacheError {
  readonly operation: string;
  readonly timeoutMillis: number;

  constructor(operation: string, timeoutMillis: number) {
    super(
      'E_REDIS_TIMEOUT',
      `Redis did not answer cache ${operation} within ${timeoutMillis} ms: check Redis latency, or raise redis.commandTimeout`,
    );
    this.operation = operation;
    this.timeoutMillis = timeoutMillis;
  }
}

/** The circuit breaker is open: Redis failed repeatedly and is skipped until the breaker's reset timeout. */
export class CacheCircuitOpenError extends CacheError {
  readonly operation: string;

  constructor(operation: string) {
    super('E_CIRCUIT_OPEN', `Redis is skipped for cache ${operation}: circuit breaker open after repeated failures`);
    this.operation = operation;
  }
}

/** The loader ran past `hardTimeout` and no stale value could be served. The load goes on in the background. */
export class CacheLoaderTimeoutError extends CacheError {
  readonly key: string;
  readonly timeoutMillis: number;

  constructor(key: string, timeoutMillis: number) {
    super(
      'E_LOADER_TIMEOUT',
      `Loader for cache key '${key}' exceeded hardTimeout (${timeoutMillis} ms); its result will still be cached when it finishes. Raise hardTimeout or set a grace period to serve stale values`,
    );
    this.key = key;
    this.timeoutMillis = timeoutMillis;
  }
}

/** A value could not be encoded or decoded by the serializer. */
export class CacheSerializationError extends CacheError {
  constructor(direction: 'encode' | 'decode', cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'E_SERIALIZATION',
      `Cache value could not be ${direction}d: ${reason}. Values must be JSON data, Date, BigInt, Map, Set, Buffer or typed arrays`,
      { cause },
    );
  }
}

/** The cache was closed with `close()`. */
export class CacheClosedError extends CacheError {
  constructor() {
    super('E_CLOSED', 'The cache is closed: create a new one with createCache()');
  }
}
