import type { Decision } from '../decision.js';
import type { LogicalColumn, LogicalModel, LogicalPattern, LogicalTable } from '../model/resolve.js';
import type { FieldSpec } from '../model/schema.js';
import { FORMAT_PATTERNS } from '../postgres/column-type.js';
import { adviseRelationship, type EmbeddingAdvice } from './embedding.js';

/** A MongoDB index spec as `createIndex(key, options)` takes it. */
export interface MongoIndex {
  key: Record<string, 1 | -1 | 'text'>;
  name: string;
  unique?: boolean;
  partialFilterExpression?: Record<string, unknown>;
  collation?: { locale: string; strength: number };
  /** Patterns or rules that asked for it. */
  reasons: { basis: string; because: string }[];
}

/** One collection: its `$jsonSchema` validator and indexes. */
export interface MongoCollection {
  name: string;
  validator: { $jsonSchema: Record<string, unknown> };
  indexes: MongoIndex[];
}

/** The MongoDB side of a design. */
export interface MongoDesign {
  collections: MongoCollection[];
  relationships: EmbeddingAdvice[];
  decisions: Decision[];
  /** A mongosh script that creates the collections with validators and the indexes. */
  script: string;
}

const BSON: Record<FieldSpec['type'], string> = {
  string: 'string',
  integer: 'int',
  bigint: 'long',
  smallint: 'int',
  decimal: 'decimal',
  float: 'double',
  boolean: 'bool',
  timestamp: 'date',
  date: 'date',
  time: 'string',
  interval: 'string',
  uuid: 'binData',
  json: 'object',
  bytes: 'binData',
  enum: 'string',
};

/** Items of a subset (hybrid) array. */
export const SUBSET_MAX_ITEMS = 10;

/**
 * Generates MongoDB collections for a resolved model: an embed / reference / hybrid decision per relationship
 * ({@link adviseRelationship}), a `$jsonSchema` validator per collection, and index specs ordered by the
 * Equality → Sort → Range rule for each access pattern.
 */
export function generateMongo(logical: LogicalModel): MongoDesign {
  const decisions: Decision[] = [];
  const decide = (subject: string, decision: string, because: string, basis: string) =>
    decisions.push({ subject, decision, because, basis, target: 'mongo' });
  const advice = logical.model.relationships.map((r, i) => adviseRelationship(r, i, logical));
  for (const a of advice) {
    const r = a.relationship;
    decide(
      `${r.from} ${r.type} ${r.to}`,
      a.decision === 'embed'
        ? `embed ${a.field} in ${a.holder}`
        : a.decision === 'hybrid'
          ? `reference from ${a.holder}, subset embedded in ${r.from}`
          : `reference (${a.holder} holds the link)`,
      `${a.because.replace(/\.$/, '')}; trade-off: ${a.tradeOff.replace(/\.$/, '')}`,
      `rule:${a.ruleId}`,
    );
  }
  // Tables stored inside another document.
  const embeddedIn = new Map<string, EmbeddingAdvice>();
  for (const a of advice) {
    if (a.decision !== 'embed') continue;
    const r = a.relationship;
    const stored = r.type === 'N:M' ? (r.through ?? `${r.from}_${r.to}`) : r.to;
    embeddedIn.set(stored, a);
  }
  const junctionOf = (name: string) => logical.tables.find((t) => t.name === name && t.kind === 'junction');

  const collections: MongoCollection[] = [];
  for (const table of logical.tables) {
    if (embeddedIn.has(table.name)) continue;
    const schema = documentSchema(table, logical);
    const props = schema.properties as Record<string, unknown>;
    // Embedded children and N:M arrays.
    for (const a of advice) {
      if (a.holder !== table.name || !a.field) continue;
      const r = a.relationship;
      if (a.decision === 'embed') {
        const stored = r.type === 'N:M' ? junctionOf(r.through ?? `${r.from}_${r.to}`)! : logical.table(r.to)!;
        const linkTo = r.type === 'N:M' ? (a.holder === r.from ? r.to : r.from) : null;
        const omit = stored.foreignKeys.filter((fk) => fk.refTable === table.name).flatMap((fk) => fk.columns);
        const sub = documentSchema(stored, logical, { omit, keepId: r.type !== 'N:M' && linkTo === null });
        props[a.field] =
          r.type === '1:1'
            ? sub
            : {
                bsonType: 'array',
                ...(r.type === 'N:M'
                  ? a.holder === r.from && r.cardinality?.max !== undefined
                    ? { maxItems: r.cardinality.max }
                    : a.holder === r.to && r.cardinality?.reverseMax !== undefined
                      ? { maxItems: r.cardinality.reverseMax }
                      : {}
                  : r.cardinality?.max !== undefined
                    ? { maxItems: r.cardinality.max }
                    : {}),
                items: sub,
              };
      } else if (a.decision === 'hybrid' && logical.table(a.relationship.from) === table) {
        const child = logical.table(r.to)!;
        const omit = child.foreignKeys.filter((fk) => fk.refTable === table.name).flatMap((fk) => fk.columns);
        props[`recent_${r.to}`] = {
          bsonType: 'array',
          maxItems: SUBSET_MAX_ITEMS,
          items: documentSchema(child, logical, { omit, keepId: true }),
        };
      }
    }
    collections.push({ name: table.name, validator: { $jsonSchema: schema }, indexes: [] });
    decide(
      table.name,
      'collection with a $jsonSchema validator (validationLevel strict, validationAction error)',
      'types, required fields, enum values and formats are checked by the server on every write, as CHECK constraints are in SQL',
      'rule:mongo-schema-validation',
    );
  }
  // Hybrid decisions also live on the parent.
  for (const a of advice) {
    if (a.decision === 'hybrid') {
      const parent = collections.find((c) => c.name === a.relationship.from);
      if (parent && !(`recent_${a.relationship.to}` in (parent.validator.$jsonSchema.properties as object))) {
        const child = logical.table(a.relationship.to)!;
        (parent.validator.$jsonSchema.properties as Record<string, unknown>)[`recent_${a.relationship.to}`] = {
          bsonType: 'array',
          maxItems: SUBSET_MAX_ITEMS,
          items: documentSchema(child, logical, {
            omit: child.foreignKeys.filter((fk) => fk.refTable === parent.name).flatMap((fk) => fk.columns),
            keepId: true,
          }),
        };
      }
    }
  }

  // Indexes: unique fields, references, then access patterns by ESR.
  const byName = new Map(collections.map((c) => [c.name, c]));
  const addIndex = (collection: string, ix: Omit<MongoIndex, 'name'>) => {
    const c = byName.get(collection);
    if (!c) return;
    const same = c.indexes.find((x) => sameIndex(x, ix));
    if (same) {
      same.reasons.push(...ix.reasons);
      return;
    }
    c.indexes.push({ ...ix, name: mongoIndexName(ix) });
  };
  for (const table of logical.tables) {
    const holder = embeddedIn.get(table.name);
    const prefix = holder?.field ? `${holder.field}.` : '';
    const target = holder ? holder.holder : table.name;
    for (const col of table.columns) {
      if (col.field.unique && !holder) {
        addIndex(target, {
          key: { [col.name]: 1 },
          unique: true,
          reasons: [{ basis: 'model', because: `${table.name}.${col.name} is unique` }],
        });
      }
    }
    if (!holder && table.kind === 'junction') {
      addIndex(target, {
        key: Object.fromEntries(table.primaryKey.map((c) => [c, 1 as const])),
        unique: true,
        reasons: [{ basis: 'rule:mongo-link-collection', because: 'one link document per pair' }],
      });
    }
    if (!holder && table.keyKind === 'natural') {
      addIndex(target, {
        key: Object.fromEntries(table.primaryKey.map((c) => [c, 1 as const])),
        unique: true,
        reasons: [{ basis: 'model', because: 'natural key' }],
      });
    }
    for (const fk of table.foreignKeys) {
      if (holder && holder.holder === fk.refTable) continue; // the holder document is the parent itself
      addIndex(target, {
        key: { [`${prefix}${fk.columns[0]}`]: 1 },
        reasons: [
          {
            basis: 'rule:mongo-reference-index',
            because: `${prefix}${fk.columns[0]} references ${fk.refTable}: lookups and $lookup by it need an index`,
          },
        ],
      });
    }
  }
  for (const p of logical.patterns) {
    patternIndex(p, embeddedIn, logical, addIndex, decide);
  }
  for (const c of collections) {
    c.indexes = dropPrefixes(c.indexes, decide, c.name);
    for (const ix of c.indexes) {
      for (const r of ix.reasons) decide(`${c.name}.${ix.name}`, JSON.stringify(ix.key), r.because, r.basis);
    }
  }
  return { collections, relationships: advice, decisions, script: mongoshScript(logical.model.name, collections) };
}

function sameIndex(a: Omit<MongoIndex, 'name'>, b: Omit<MongoIndex, 'name'>): boolean {
  return (
    JSON.stringify(a.key) === JSON.stringify(b.key) &&
    Boolean(a.unique) === Boolean(b.unique) &&
    JSON.stringify(a.partialFilterExpression ?? null) === JSON.stringify(b.partialFilterExpression ?? null) &&
    JSON.stringify(a.collation ?? null) === JSON.stringify(b.collation ?? null)
  );
}

/** The default name MongoDB gives an index (`field_1_other_-1`). */
export function mongoIndexName(ix: Pick<MongoIndex, 'key' | 'partialFilterExpression' | 'collation'>): string {
  const base = Object.entries(ix.key)
    .map(([k, v]) => `${k}_${v}`)
    .join('_');
  const partial = ix.partialFilterExpression ? `_partial_${Object.values(ix.partialFilterExpression).join('_')}` : '';
  const ci = ix.collation ? '_ci' : '';
  return `${base}${partial}${ci}`;
}

/** Drops an index whose key is a leading prefix of another with the same options (MongoDB serves it). */
function dropPrefixes(
  indexes: MongoIndex[],
  decide: (s: string, d: string, b: string, basis: string) => void,
  collection: string,
): MongoIndex[] {
  const kept: MongoIndex[] = [];
  const sorted = [...indexes].sort((a, b) => Object.keys(b.key).length - Object.keys(a.key).length);
  for (const ix of sorted) {
    const keys = Object.entries(ix.key);
    const wider = kept.find((w) => {
      const wk = Object.entries(w.key);
      if (ix.unique || w.partialFilterExpression || ix.partialFilterExpression) return false;
      if (JSON.stringify(w.collation ?? null) !== JSON.stringify(ix.collation ?? null)) return false;
      if (wk.length < keys.length) return false;
      const flip = keys[0]![1] !== wk[0]![1];
      return keys.every(
        ([k, v], i) =>
          wk[i]![0] === k && (v === 'text' || wk[i]![1] === 'text' ? v === wk[i]![1] : (v !== wk[i]![1]) === flip),
      );
    });
    if (wider) {
      wider.reasons.push(...ix.reasons.map((r) => ({ ...r, because: `also ${r.because}` })));
      decide(
        `${collection}.${ix.name}`,
        'no separate index',
        `served by the prefix of ${wider.name}`,
        'rule:mongo-index-prefix',
      );
      continue;
    }
    kept.push(ix);
  }
  return indexes.filter((ix) => kept.includes(ix));
}

function patternIndex(
  p: LogicalPattern,
  embeddedIn: Map<string, EmbeddingAdvice>,
  logical: LogicalModel,
  addIndex: (collection: string, ix: Omit<MongoIndex, 'name'>) => void,
  decide: (s: string, d: string, b: string, basis: string) => void,
): void {
  if (p.spec.sql && p.spec.filters.length === 0) return;
  if (p.spec.kind === 'insert') return;
  const holder = embeddedIn.get(p.table.name);
  const collection = holder ? holder.holder : p.table.name;
  const prefix = holder?.field ? `${holder.field}.` : '';
  const basis = `pattern:${p.spec.name}`;
  const parentFk = holder ? p.table.foreignKeys.find((fk) => fk.refTable === holder.holder)?.columns[0] : undefined;
  const equality: [string, 1][] = [];
  const range: [string, 1][] = [];
  let partial: Record<string, unknown> | undefined;
  let collation: MongoIndex['collation'] | undefined;
  const field = (name: string) =>
    p.table.primaryKey.length === 1 && p.table.primaryKey[0] === name && !holder ? '_id' : `${prefix}${name}`;
  for (const f of p.spec.filters) {
    if (!f.field) continue;
    if (f.field === parentFk) continue; // the holder's _id
    const name = field(f.field);
    switch (f.op) {
      case 'eq':
      case 'in':
      case 'is-null':
        if (f.value !== undefined && f.selectivity !== undefined && f.selectivity <= 0.1 && !partial) {
          partial = { [name]: f.value };
        } else equality.push([name, 1]);
        break;
      case 'ieq':
        equality.push([name, 1]);
        collation = { locale: 'en', strength: 2 };
        break;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte':
      case 'between':
      case 'prefix':
        range.push([name, 1]);
        break;
      case 'search':
        addIndex(collection, {
          key: { [name]: 'text' },
          reasons: [{ basis, because: `full-text search on ${name}: a text index (Atlas Search where available)` }],
        });
        break;
      case 'has':
      case 'has-key':
        addIndex(collection, {
          key: { [`${name}.$**`]: 1 },
          reasons: [{ basis, because: `queries on arbitrary keys of ${name}: a wildcard index` }],
        });
        break;
      case 'contains':
      case 'matches':
        decide(
          `${collection}.${name}`,
          'no index',
          `unanchored regular expressions cannot use a B-tree index efficiently; use Atlas Search or a text index for word search (${p.spec.name})`,
          basis,
        );
        break;
      default:
        break;
    }
  }
  const sort: [string, 1 | -1][] = p.spec.sort.map((s) => [field(s.field), s.order === 'desc' ? -1 : 1]);
  const keys: [string, 1 | -1][] = [];
  for (const k of [...equality, ...sort, ...range]) if (!keys.some(([n]) => n === k[0])) keys.push(k);
  if (keys.length === 0 && partial) keys.push([Object.keys(partial)[0]!, 1]);
  if (keys.length === 0) return;
  if (keys.length === 1 && keys[0]![0] === '_id' && !partial) return; // served by the _id index
  addIndex(collection, {
    key: Object.fromEntries(keys),
    ...(partial ? { partialFilterExpression: partial } : {}),
    ...(collation ? { collation } : {}),
    reasons: [
      {
        basis,
        because: `Equality → Sort → Range: ${[
          equality.length ? `equality ${equality.map(([n]) => n).join(', ')}` : '',
          sort.length ? `sort ${sort.map(([n, d]) => `${n} ${d === -1 ? 'desc' : 'asc'}`).join(', ')}` : '',
          range.length ? `range ${range.map(([n]) => n).join(', ')}` : '',
          partial ? `partial on ${JSON.stringify(partial)} (rare value)` : '',
          collation ? 'case-insensitive collation (strength 2)' : '',
        ]
          .filter(Boolean)
          .join('; ')}`,
      },
    ],
  });
  void logical;
}

/** The `$jsonSchema` of a table's documents. */
function documentSchema(
  table: LogicalTable,
  logical: LogicalModel,
  options: { omit?: string[]; keepId?: boolean } = {},
): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  const required: string[] = [];
  const omit = new Set(options.omit ?? []);
  const embedded = options.keepId !== undefined;
  for (const c of table.columns) {
    if (omit.has(c.name)) continue;
    const isKey = c.origin === 'key';
    if (isKey && embedded && !options.keepId) continue;
    const name = isKey && !embedded ? '_id' : c.name;
    props[name] = fieldSchema(c, logical, table);
    if (c.field.required || isKey) required.push(name);
  }
  if (!embedded && !('_id' in props)) {
    props._id = { bsonType: 'objectId' };
  }
  return {
    bsonType: 'object',
    ...(required.length > 0 ? { required } : {}),
    properties: props,
  };
}

function keyBson(table: LogicalTable | undefined): string {
  if (!table) return 'objectId';
  if (table.keyKind === 'uuid') return 'binData';
  if (table.keyKind === 'identity') return 'objectId';
  const key = table.columns.find((c) => c.name === table.primaryKey[0]);
  return key ? BSON[key.field.type] : 'objectId';
}

function fieldSchema(c: LogicalColumn, logical: LogicalModel, table: LogicalTable): Record<string, unknown> {
  const f = c.field;
  if (c.origin === 'key') return { bsonType: keyBson(table) };
  if (c.origin === 'foreign-key') {
    const fk = table.foreignKeys.find((k) => k.columns.includes(c.name));
    return {
      bsonType: keyBson(fk ? logical.table(fk.refTable) : undefined),
      description: `references ${fk?.refTable}`,
    };
  }
  const s: Record<string, unknown> = {
    bsonType: f.type === 'string' && f.format === 'uuid' ? 'binData' : BSON[f.type],
  };
  if (f.type === 'enum' && f.values) s.enum = f.values;
  if (f.type === 'string' && f.format && f.format !== 'uuid') s.pattern = FORMAT_PATTERNS[f.format].regex;
  if (f.pattern) s.pattern = f.pattern;
  if (f.minLength !== undefined) s.minLength = f.minLength;
  if (f.maxLength !== undefined) s.maxLength = f.maxLength;
  if (f.min !== undefined) s.minimum = f.min;
  if (f.max !== undefined) s.maximum = f.max;
  if (f.exclusiveMin !== undefined) {
    s.minimum = f.exclusiveMin;
    s.exclusiveMinimum = true;
  }
  if (f.description) s.description = f.description;
  return f.array ? { bsonType: 'array', items: s } : s;
}

/** A mongosh script: createCollection with the validator, then createIndex per index. */
export function mongoshScript(name: string, collections: readonly MongoCollection[]): string {
  const lines = [`// dbsage design: ${name} (MongoDB)`, '// Run with: mongosh "$MONGODB_URI" setup.mongosh.js', ''];
  for (const c of collections) {
    lines.push(
      `db.createCollection(${JSON.stringify(c.name)}, ${JSON.stringify(
        { validator: c.validator, validationLevel: 'strict', validationAction: 'error' },
        null,
        2,
      )});`,
    );
    for (const ix of c.indexes) {
      const options: Record<string, unknown> = { name: ix.name };
      if (ix.unique) options.unique = true;
      if (ix.partialFilterExpression) options.partialFilterExpression = ix.partialFilterExpression;
      if (ix.collation) options.collation = ix.collation;
      lines.push(
        `db.getCollection(${JSON.stringify(c.name)}).createIndex(${JSON.stringify(ix.key)}, ${JSON.stringify(options)});`,
      );
    }
    lines.push('');
  }
  return `${lines.join('\n')}`;
}
