import { calculateObjectSize } from 'bson';
import {
  type ArraySchemaType,
  analyzeDocuments,
  type DocumentSchemaType,
  type MongoDBJSONSchema,
  type Schema,
  type SchemaField,
  type SchemaType,
} from 'mongodb-schema';
import type { MongoDocument } from './types.js';

/** One type a field takes, with its share of the documents that have the field's parent. */
export interface FieldTypeShare {
  type: string;
  count: number;
  probability: number;
}

/** Length distribution of an array field (over the documents where it is an array). */
export interface Distribution {
  count: number;
  min: number;
  p50: number;
  p95: number;
  max: number;
  average: number;
}

/** One field path, as inferred. */
export interface FieldSummary {
  /** Dotted path; array element fields are reached through the array (`comments.author`), as in queries. */
  path: string;
  /** Share of parent documents that have the field (non-undefined). */
  probability: number;
  optional: boolean;
  /** More than one type family besides null (e.g. String and Number). */
  polymorphic: boolean;
  types: FieldTypeShare[];
  /** Present when the field is (sometimes) an array. */
  arrayLengths?: Distribution;
  /** Element types of the array. */
  elementTypes?: string[];
}

/** A collection's inferred schema. */
export interface CollectionSchema {
  collection: string;
  documents: number;
  fields: FieldSummary[];
  /** BSON sizes of the sampled documents, bytes. */
  documentBytes: Distribution;
  /** Index in the sample of the largest document. */
  largestDocument: number;
  /** mongodb-schema's full result (kept for converters). */
  internal: Schema;
}

/** Percentile distribution of numbers (nearest-rank). */
export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { count: 0, min: 0, p50: 0, p95: 0, max: 0, average: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    min: sorted[0]!,
    p50: rank(0.5),
    p95: rank(0.95),
    max: sorted[sorted.length - 1]!,
    average: Math.round((sum / sorted.length) * 100) / 100,
  };
}

/** Numeric BSON types count as one family for polymorphism: int/long/double mixes are how drivers write numbers. */
const NUMERIC = new Set(['Number', 'Int32', 'Double', 'Long']);
const family = (t: string) => (NUMERIC.has(t) ? 'Number' : t);

function summarize(field: SchemaField, out: FieldSummary[]): void {
  const present = field.types.filter((t) => t.name !== 'Undefined');
  const families = new Set(present.filter((t) => t.name !== 'Null').map((t) => family(t.name)));
  const summary: FieldSummary = {
    path: field.path.join('.'),
    probability: round(field.probability),
    optional: field.probability < 1,
    polymorphic: families.size > 1,
    types: present.map((t) => ({ type: t.name, count: t.count, probability: round(t.probability) })),
  };
  const arrays = present.filter((t): t is ArraySchemaType => t.name === 'Array');
  if (arrays.length > 0) {
    summary.arrayLengths = distribution(arrays.flatMap((a) => a.lengths));
    summary.elementTypes = [...new Set(arrays.flatMap((a) => a.types.map((t) => t.name)))];
  }
  out.push(summary);
  for (const t of present) nested(t, out);
}

function nested(type: SchemaType, out: FieldSummary[]): void {
  if (type.name === 'Document') for (const f of (type as DocumentSchemaType).fields) summarize(f, out);
  if (type.name === 'Array') for (const t of (type as ArraySchemaType).types) nested(t, out);
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;

/**
 * Infers a collection's schema from sampled documents with `mongodb-schema` (the library Compass uses): field
 * paths, types and their probabilities, optional and polymorphic fields, array length distributions, and the
 * BSON size distribution of the documents.
 */
export async function inferSchema(collection: string, documents: readonly MongoDocument[]): Promise<CollectionSchema> {
  const accessor = await analyzeDocuments(documents, { storeValues: false });
  const internal = await accessor.getInternalSchema();
  const fields: FieldSummary[] = [];
  for (const f of internal.fields) summarize(f, fields);
  const sizes = documents.map((d) => calculateObjectSize(d));
  let largestDocument = 0;
  sizes.forEach((s, i) => {
    if (s > sizes[largestDocument]!) largestDocument = i;
  });
  return {
    collection,
    documents: documents.length,
    fields,
    documentBytes: distribution(sizes),
    largestDocument,
    internal,
  };
}

/**
 * A `$jsonSchema` validator for the collection as sampled (mongodb-schema's MongoDB converter): required fields
 * are those present in every sampled document.
 */
export async function jsonSchemaValidator(documents: readonly MongoDocument[]): Promise<MongoDBJSONSchema> {
  const accessor = await analyzeDocuments(documents, { storeValues: false });
  return accessor.getMongoDBJsonSchema();
}

/** `collMod` command applying a validator in warn mode first (it logs violations instead of rejecting writes). */
export function validatorCommand(collection: string, schema: MongoDBJSONSchema): string {
  return `db.runCommand(${JSON.stringify(
    { collMod: collection, validator: { $jsonSchema: schema }, validationLevel: 'moderate', validationAction: 'warn' },
    null,
    2,
  )})`;
}

const TS_TYPES: Record<string, string> = {
  String: 'string',
  Number: 'number',
  Int32: 'number',
  Double: 'number',
  Long: 'Long',
  Decimal128: 'Decimal128',
  Boolean: 'boolean',
  Date: 'Date',
  ObjectId: 'ObjectId',
  Null: 'null',
  Binary: 'Binary',
  Timestamp: 'Timestamp',
  RegExp: 'BSONRegExp',
  BSONRegExp: 'BSONRegExp',
};

function tsType(types: readonly SchemaType[], indent: string): string {
  const parts = new Set<string>();
  for (const t of types) {
    if (t.name === 'Undefined') continue;
    if (t.name === 'Document') parts.add(tsObject((t as DocumentSchemaType).fields, `${indent}  `));
    else if (t.name === 'Array') {
      const inner = tsType((t as ArraySchemaType).types, indent);
      parts.add(inner === 'never' ? 'unknown[]' : inner.includes(' ') ? `(${inner})[]` : `${inner}[]`);
    } else parts.add(TS_TYPES[t.name] ?? 'unknown');
  }
  return parts.size === 0 ? 'never' : [...parts].join(' | ');
}

function tsObject(fields: readonly SchemaField[], indent: string): string {
  const lines = fields.map((f) => {
    const name = /^[A-Za-z_$][\w$]*$/.test(f.name) ? f.name : JSON.stringify(f.name);
    return `${indent}  ${name}${f.probability < 1 ? '?' : ''}: ${tsType(f.types, indent)};`;
  });
  return `{\n${lines.join('\n')}\n${indent}}`;
}

/**
 * TypeScript declarations for the inferred schema, one interface per collection, BSON types imported from
 * `bson`. Written here rather than with mongodb-schema's `toTypescriptTypeDefinition`, which maps ObjectId,
 * Date and unions to `any`.
 */
export function typescriptDeclarations(schemas: readonly CollectionSchema[]): string {
  const used = new Set<string>();
  const body = schemas.map((s) => {
    const text = tsObject(s.internal.fields, '');
    for (const t of ['ObjectId', 'Long', 'Decimal128', 'Binary', 'Timestamp', 'BSONRegExp']) {
      if (new RegExp(`\\b${t}\\b`).test(text)) used.add(t);
    }
    const name = s.collection.replace(/(^|[^A-Za-z0-9])([a-z0-9])/gi, (_m, _p, c: string) => c.toUpperCase());
    return `/** ${s.collection}: inferred from ${s.documents} sampled documents. */\nexport interface ${name}Document ${text}\n`;
  });
  const header = used.size > 0 ? `import type { ${[...used].sort().join(', ')} } from 'bson';\n\n` : '';
  return header + body.join('\n');
}
