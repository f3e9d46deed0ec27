/**
 * Migration tool presets: how each tool runs SQL migrations, which decides whether CONCURRENTLY statements
 * fail (they cannot run in a transaction) and whether a BEGIN in a file nests inside the tool's transaction.
 */

/** How a tool wraps migrations in transactions. */
export const TRANSACTION_MODES = ['none', 'per-file', 'per-file-if-multiple', 'whole-run'] as const;
export type TransactionMode = (typeof TRANSACTION_MODES)[number];

/** Runtime check for a transaction mode. */
export function isTransactionMode(value: unknown): value is TransactionMode {
  return typeof value === 'string' && (TRANSACTION_MODES as readonly string[]).includes(value);
}

/** A migration tool preset. */
export interface Preset {
  id: string;
  transaction: TransactionMode;
  /** File order: lexical (timestamps, zero-padded numbers) or Flyway's versioned order. */
  order: 'natural' | 'flyway';
  /** Files that are migrations (relative paths, `/` separators). */
  include: RegExp;
  /** Where the "up" part of a file ends (node-pg-migrate SQL files carry a down section). */
  downMarker?: RegExp;
  /** Why this preset behaves as it does. */
  note: string;
}

/** Preset ids. */
export const PRESET_IDS = ['plain', 'node-pg-migrate', 'prisma', 'drizzle', 'knex', 'typeorm', 'flyway'] as const;
export type PresetId = (typeof PRESET_IDS)[number];

/** Runtime check for a preset id. */
export function isPresetId(value: unknown): value is PresetId {
  return typeof value === 'string' && (PRESET_IDS as readonly string[]).includes(value);
}

/** The presets. */
export const PRESETS: Readonly<Record<PresetId, Preset>> = {
  plain: {
    id: 'plain',
    transaction: 'none',
    order: 'natural',
    include: /\.sql$/i,
    note: 'psql -f: each statement autocommits unless the file has BEGIN/COMMIT',
  },
  'node-pg-migrate': {
    id: 'node-pg-migrate',
    transaction: 'per-file',
    order: 'natural',
    include: /\.sql$/i,
    downMarker: /^\s*--\s*Down Migration\b/im,
    note: 'each migration runs in its own transaction unless it calls pgm.noTransaction()',
  },
  prisma: {
    id: 'prisma',
    transaction: 'per-file-if-multiple',
    order: 'natural',
    include: /(^|\/)migration\.sql$/i,
    note: 'migration.sql is sent as one multi-statement query: an implicit transaction when it holds more than one statement',
  },
  drizzle: {
    id: 'drizzle',
    transaction: 'whole-run',
    order: 'natural',
    include: /\.sql$/i,
    note: 'the migrator applies all pending migrations in one transaction',
  },
  knex: {
    id: 'knex',
    transaction: 'per-file',
    order: 'natural',
    include: /\.sql$/i,
    note: 'each migration runs in a transaction unless config.transaction is false',
  },
  typeorm: {
    id: 'typeorm',
    transaction: 'whole-run',
    order: 'natural',
    include: /\.sql$/i,
    note: 'migrationsTransactionMode "all" (the default) runs every pending migration in one transaction',
  },
  flyway: {
    id: 'flyway',
    transaction: 'per-file',
    order: 'flyway',
    include: /(^|\/)[VR]\d*[^/]*__[^/]*\.sql$/i,
    note: 'each versioned migration runs in its own transaction on PostgreSQL; V<version>__ files by version, repeatable R__ files last',
  },
};
