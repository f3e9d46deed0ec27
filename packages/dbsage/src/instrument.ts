/**
 * Public entry of the runtime instrumentation: `import { instrument } from 'dbsage'` (or `dbsage/instrument`).
 * Application code wraps its pool once, runs each request in a scope, and gets N+1 reports and pool health.
 */

export {
  type ExternalScope,
  INSTRUMENT_SCOPES,
  type Instrumentation,
  type InstrumentOptions,
  type InstrumentScopeMode,
  instrument,
  isInstrumentScope,
  type PGliteLike,
  type PgPoolLike,
  type RequestReport,
  type RuntimeNPlusOne,
} from './query/instrument/instrument.js';
export type { LongCheckout, PoolStats } from './query/instrument/pool-stats.js';
