import { z } from 'zod';

/**
 * The `dbsage.model.yaml` schema: entities with fields, relationships with expected cardinality, access patterns
 * with frequencies, volumes and growth. Validated with zod so that every error carries a data path, which the
 * loader turns into a line number. Logical types are engine-neutral: the PostgreSQL and MongoDB generators map
 * them (`timestamp` → `timestamptz` / BSON `date`).
 */

/** Logical field types. */
export const FIELD_TYPES = [
  'string',
  'integer',
  'bigint',
  'smallint',
  'decimal',
  'float',
  'boolean',
  'timestamp',
  'date',
  'time',
  'interval',
  'uuid',
  'json',
  'bytes',
  'enum',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** Formats a string field can declare; each becomes a CHECK (PostgreSQL) or `pattern` ($jsonSchema). */
export const FIELD_FORMATS = ['email', 'url', 'uuid', 'slug'] as const;
export type FieldFormat = (typeof FIELD_FORMATS)[number];

/** Relationship kinds. */
export const RELATIONSHIP_TYPES = ['1:1', '1:N', 'N:M'] as const;
export type RelationshipType = (typeof RELATIONSHIP_TYPES)[number];

/** ON DELETE actions, in model spelling. */
export const ON_DELETE_ACTIONS = ['cascade', 'restrict', 'set null', 'no action'] as const;
export type OnDeleteAction = (typeof ON_DELETE_ACTIONS)[number];

/** Filter operators of an access pattern; each maps to one SQL predicate shape. */
export const FILTER_OPS = [
  'eq',
  'ne',
  'in',
  'lt',
  'lte',
  'gt',
  'gte',
  'between',
  'ieq',
  'prefix',
  'contains',
  'matches',
  'has',
  'has-key',
  'search',
  'is-null',
  'not-null',
] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

/** Kinds of access pattern (the read/write mix). */
export const PATTERN_KINDS = ['read', 'insert', 'update', 'delete'] as const;
export type PatternKind = (typeof PATTERN_KINDS)[number];

/** Primary key strategies (`none`: no primary key, kept only so `design --from` can describe such a table). */
export const KEY_STRATEGIES = ['identity', 'uuid', 'none'] as const;
export type KeyStrategy = (typeof KEY_STRATEGIES)[number];

const identifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]*$/, 'use lower-case snake_case names (letters, digits, underscores)')
  .max(63, 'PostgreSQL identifiers are at most 63 bytes');

const UNITS: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  min: 1 / 60,
  minute: 1 / 60,
  h: 1 / 3600,
  hour: 1 / 3600,
  day: 1 / 86400,
  d: 1 / 86400,
};

/** Parses `200/s`, `40/min`, `5/h`, `1000/day` (or a bare number of executions per second). */
export function parseFrequency(value: string | number): number | undefined {
  if (typeof value === 'number') return value >= 0 ? value : undefined;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(?:\/|per\s+)\s*([a-z]+)\s*$/i.exec(value);
  if (!m) return undefined;
  const unit = UNITS[m[2]!.toLowerCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

const frequency = z.union([z.number(), z.string()]).superRefine((v, ctx) => {
  if (parseFrequency(v) === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected a rate like "200/s", "40/min", "5/h", "1000/day" or a number per second',
    });
  }
});

const defaultValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.unknown()),
  z.strictObject({ sql: z.string().min(1) }),
  z.record(z.string(), z.unknown()),
]);

const fieldObject = z.strictObject({
  type: z.enum(FIELD_TYPES),
  required: z.boolean().default(false),
  unique: z.boolean().default(false),
  values: z.array(z.string().min(1)).min(1).optional(),
  format: z.enum(FIELD_FORMATS).optional(),
  /** Default: a literal, `now` for timestamps, or `{ sql: expr }`. */
  default: defaultValue.optional(),
  /** `now`: maintained on every UPDATE (PostgreSQL: a BEFORE UPDATE trigger). */
  onUpdate: z.enum(['now', 'none']).optional(),
  minLength: z.number().int().nonnegative().optional(),
  maxLength: z.number().int().positive().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  /** Exclusive lower bound (`> 0`). */
  exclusiveMin: z.number().optional(),
  pattern: z.string().min(1).optional(),
  precision: z.number().int().min(1).max(1000).optional(),
  scale: z.number().int().min(0).optional(),
  array: z.boolean().default(false),
  /** Exact PostgreSQL type, overriding the mapping (kept by `design --from` for types with no logical twin). */
  pgType: z.string().min(1).optional(),
  description: z.string().optional(),
});

/** A field: `{ type: …, … }` or the shorthand `name: string`. */
export const fieldSchema = z.preprocess((v) => (typeof v === 'string' ? { type: v } : v), fieldObject);
export type FieldSpec = z.output<typeof fieldObject>;

const keyObject = z.strictObject({
  strategy: z.enum(KEY_STRATEGIES).optional(),
  /** Key column name (default `id`). */
  column: identifier.optional(),
  /** UUID generator expression (default `gen_random_uuid()`, built in since PostgreSQL 13). */
  generator: z.string().min(1).optional(),
  /** A natural or composite key over fields or relationship columns. */
  columns: z.array(identifier).min(1).optional(),
});

/** Primary key: `identity`, `uuid`, a column list, or `{ strategy, column, generator }`. */
export const keySchema = z.preprocess((v) => {
  if (typeof v === 'string') return { strategy: v };
  if (Array.isArray(v)) return { columns: v };
  return v;
}, keyObject);
export type KeySpec = z.output<typeof keyObject>;

const indexKey = z.preprocess(
  (v) => (typeof v === 'string' ? parseIndexKeyShorthand(v) : v),
  z
    .strictObject({
      column: identifier.optional(),
      expression: z.string().min(1).optional(),
      order: z.enum(['asc', 'desc']).default('asc'),
      nulls: z.enum(['first', 'last']).optional(),
      opclass: z.string().min(1).optional(),
    })
    .refine((k) => (k.column === undefined) !== (k.expression === undefined), {
      message: 'an index key has exactly one of column or expression',
    }),
);

/** `created_at desc` → `{ column, order }`; anything with a parenthesis is an expression. */
function parseIndexKeyShorthand(v: string): unknown {
  const m = /^\s*([a-z_][a-z0-9_]*)\s*(asc|desc)?\s*$/i.exec(v);
  if (m) return { column: m[1], order: (m[2] ?? 'asc').toLowerCase() };
  return { expression: v };
}

const indexSchema = z.strictObject({
  name: identifier.optional(),
  keys: z.array(indexKey).min(1),
  method: z.enum(['btree', 'hash', 'gin', 'gist', 'brin', 'spgist']).default('btree'),
  unique: z.boolean().default(false),
  include: z.array(identifier).default([]),
  where: z.string().min(1).optional(),
  description: z.string().optional(),
});
export type IndexSpec = z.output<typeof indexSchema>;

const checkSchema = z.strictObject({ name: identifier.optional(), expression: z.string().min(1) });

const uniqueSchema = z.preprocess(
  (v) => (Array.isArray(v) ? { columns: v } : v),
  z.strictObject({ name: identifier.optional(), columns: z.array(identifier).min(1) }),
);

const volumeSchema = z.strictObject({
  /** Expected rows (documents) today. */
  rows: z.number().nonnegative().optional(),
  /** Rows added per month. */
  growthPerMonth: z.number().nonnegative().optional(),
  /** How long rows are kept (`90d`, `2y`, `forever`). */
  retention: z.string().optional(),
  /** Rows are only appended (events, logs, metrics). */
  appendOnly: z.boolean().optional(),
});

const entitySchema = z.strictObject({
  description: z.string().optional(),
  key: keySchema.optional(),
  /** Adds `created_at` and `updated_at` (maintained on update). */
  timestamps: z.boolean().default(false),
  fields: z.record(identifier, fieldSchema).default({}),
  unique: z.array(uniqueSchema).default([]),
  checks: z.array(checkSchema).default([]),
  indexes: z.array(indexSchema).default([]),
  volume: volumeSchema.optional(),
});
export type EntitySpec = z.output<typeof entitySchema>;

const cardinalitySchema = z.strictObject({
  /** Related rows per row of `from` (average). */
  average: z.number().nonnegative().optional(),
  /** Upper bound, or omitted when unbounded. */
  max: z.number().nonnegative().optional(),
  /** N:M only: `from` rows per row of `to`. */
  reverseAverage: z.number().nonnegative().optional(),
  reverseMax: z.number().nonnegative().optional(),
});

const onDelete = z.enum(ON_DELETE_ACTIONS);

const relationshipSchema = z.strictObject({
  name: identifier.optional(),
  type: z.enum(RELATIONSHIP_TYPES),
  /** The parent (1:N), the owner (1:1) or the first side (N:M). */
  from: identifier,
  /** The child (1:N), the dependent (1:1) or the second side (N:M). */
  to: identifier,
  /** 1:1 / 1:N: the foreign-key column on `to` (default `<from singular>_id`). */
  column: identifier.optional(),
  /** 1:1 / 1:N: the child cannot exist without its parent (NOT NULL). Default true. */
  required: z.boolean().default(true),
  /** 1:1 / 1:N: the child is part of the parent (deleting the parent deletes it). */
  owned: z.boolean().optional(),
  onDelete: z.union([onDelete, z.strictObject({ from: onDelete.optional(), to: onDelete.optional() })]).optional(),
  cardinality: cardinalitySchema.optional(),
  /** N:M: the junction table (default `<from>_<to>`). */
  through: identifier.optional(),
  /** N:M: the junction's two key columns, `from` side first. */
  columns: z.tuple([identifier, identifier]).optional(),
  /** N:M: attributes of the link itself. */
  fields: z.record(identifier, fieldSchema).default({}),
  description: z.string().optional(),
});
export type RelationshipSpec = z.output<typeof relationshipSchema>;

const filterSchema = z
  .strictObject({
    field: identifier.optional(),
    /** An SQL expression over the entity's columns, e.g. `date_trunc('day', created_at)`. */
    expression: z.string().min(1).optional(),
    op: z.enum(FILTER_OPS).default('eq'),
    /** A constant (the pattern always asks for this value, e.g. `status = 'banned'`); omitted = a parameter. */
    value: z.union([z.string(), z.number(), z.boolean(), z.record(z.string(), z.unknown())]).optional(),
    /** Fraction of rows that match a constant value (0–1), for partial-index decisions. */
    selectivity: z.number().min(0).max(1).optional(),
  })
  .refine((f) => (f.field === undefined) !== (f.expression === undefined), {
    message: 'a filter has exactly one of field or expression',
  });
export type FilterSpec = z.output<typeof filterSchema>;

const sortKey = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const m = /^\s*(\S+)\s*(asc|desc)?\s*$/i.exec(v);
    return m ? { field: m[1], order: (m[2] ?? 'asc').toLowerCase() } : { field: v };
  },
  z.strictObject({ field: identifier, order: z.enum(['asc', 'desc']).default('asc') }),
);

const patternSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  entity: identifier,
  kind: z.enum(PATTERN_KINDS).default('read'),
  filters: z.array(filterSchema).default([]),
  sort: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(sortKey)).default([]),
  limit: z.number().int().positive().optional(),
  /** Fields read (for covering indexes / projections); default all. */
  select: z.array(identifier).optional(),
  /** Entities read together with this one (joins in SQL; embedding candidates in MongoDB). */
  with: z.array(identifier).default([]),
  /** Fields written by an update pattern. */
  set: z.array(identifier).default([]),
  frequency: frequency.optional(),
  /** The statement text, when known (`design --from` fills it from pg_stat_statements). Wins over filters. */
  sql: z.string().min(1).optional(),
});
export type AccessPatternSpec = z.output<typeof patternSchema>;

const settingsSchema = z.strictObject({
  /** Default key strategy for entities without `key`. */
  key: z.enum(['identity', 'uuid']).default('identity'),
  /**
   * Derive indexes (foreign-key covering, junction reverse, access patterns). `design --from` writes `false` so
   * that the regenerated schema equals the introspected one; set it to `true` to see what design would add.
   */
  deriveIndexes: z.boolean().default(true),
  /** PostgreSQL extensions to create (derived ones, such as pg_trgm for trigram indexes, are added). */
  extensions: z.array(z.string().min(1)).default([]),
  /** Text search configuration for `search` filters. */
  textSearchConfig: z.string().default('english'),
});

/** The whole model file. */
export const modelSchema = z.strictObject({
  version: z.literal(1),
  name: z.string().min(1),
  description: z.string().optional(),
  settings: settingsSchema.default({
    key: 'identity',
    deriveIndexes: true,
    extensions: [],
    textSearchConfig: 'english',
  }),
  entities: z.record(identifier, entitySchema).refine((e) => Object.keys(e).length > 0, {
    message: 'a model needs at least one entity',
  }),
  relationships: z.array(relationshipSchema).default([]),
  accessPatterns: z.array(patternSchema).default([]),
});

/** A validated model (defaults applied). */
export type DesignModel = z.output<typeof modelSchema>;
/** A model as written in a file (before defaults). */
export type DesignModelInput = z.input<typeof modelSchema>;
