import type { Finding } from '../findings/finding.js';
import { collectionRef, mongoFinding } from './finding.js';
import { type CollectionSchema, validatorCommand } from './schema.js';
import type { MongoDataset } from './types.js';

/** `$convert` target per majority type, for polymorphic-field migrations. */
const CONVERT_TO: Record<string, string> = {
  Number: 'double',
  Int32: 'int',
  Double: 'double',
  Long: 'long',
  Decimal128: 'decimal',
  String: 'string',
  Date: 'date',
  ObjectId: 'objectId',
  Boolean: 'bool',
};
/** `$type` aliases per mongodb-schema type name. */
const TYPE_ALIAS: Record<string, string> = {
  Number: 'number',
  Int32: 'int',
  Double: 'double',
  Long: 'long',
  Decimal128: 'decimal',
  String: 'string',
  Date: 'date',
  ObjectId: 'objectId',
  Boolean: 'bool',
  Document: 'object',
  Array: 'array',
  Null: 'null',
};

/**
 * `mongo-schema` (info, one per collection): the inferred schema — fields, types with probabilities, optional
 * fields, array lengths and document sizes — with a `$jsonSchema` validator as remediation code.
 */
export function schemaFindings(
  dataset: MongoDataset,
  schemas: ReadonlyMap<string, CollectionSchema>,
  validators: ReadonlyMap<string, Record<string, unknown>>,
): Finding[] {
  const out: Finding[] = [];
  for (const s of schemas.values()) {
    const validator = validators.get(s.collection);
    out.push(
      mongoFinding({
        ruleId: 'mongo-schema',
        severity: 'info',
        title: `${s.collection}: ${s.fields.length} field paths inferred from ${s.documents} sampled documents`,
        summary:
          'Field paths with their types and probabilities (mongodb-schema, as Compass), optional and polymorphic fields, array lengths and BSON document sizes. The validator below encodes it in warn mode.',
        evidence: {
          collection: s.collection,
          documents: s.documents,
          collectionDocuments: dataset.collections.get(s.collection)?.stats?.count ?? null,
          documentBytes: s.documentBytes,
          fields: s.fields.map((f) => ({
            path: f.path,
            probability: f.probability,
            types: Object.fromEntries(f.types.map((t) => [t.type, t.probability])),
            ...(f.optional ? { optional: true } : {}),
            ...(f.polymorphic ? { polymorphic: true } : {}),
            ...(f.arrayLengths ? { arrayLengths: f.arrayLengths } : {}),
          })),
          optional: s.fields.filter((f) => f.optional).map((f) => f.path),
          polymorphic: s.fields.filter((f) => f.polymorphic).map((f) => f.path),
        },
        identity: [dataset.database, s.collection],
        ...(validator ? { remediation: { code: validatorCommand(s.collection, validator as never) } } : {}),
        location: { object: s.collection },
      }),
    );
  }
  return out;
}

/**
 * `mongo-polymorphic-field`: a field stored with more than one type (besides null), e.g. numbers and strings.
 * Queries and indexes match one type at a time, so `{ age: { $gt: 30 } }` silently skips the strings, and sorts
 * order by type first.
 */
export function polymorphicFields(dataset: MongoDataset, schemas: ReadonlyMap<string, CollectionSchema>): Finding[] {
  const out: Finding[] = [];
  for (const s of schemas.values()) {
    for (const f of s.fields) {
      if (!f.polymorphic) continue;
      const types = f.types.filter((t) => t.type !== 'Null').sort((a, b) => b.count - a.count);
      const main = types[0]!;
      const minority = types.slice(1);
      const convert = CONVERT_TO[main.type];
      const code =
        convert && !f.path.includes('.')
          ? minority
              .map(
                (m) =>
                  `${collectionRef(s.collection)}.updateMany({ ${JSON.stringify(f.path)}: { $type: ${JSON.stringify(TYPE_ALIAS[m.type] ?? m.type)} } }, [{ $set: { ${JSON.stringify(f.path)}: { $convert: { input: "$${f.path}", to: ${JSON.stringify(convert)}, onError: "$${f.path}" } } } }])`,
              )
              .join('\n')
          : undefined;
      out.push(
        mongoFinding({
          ruleId: 'mongo-polymorphic-field',
          severity: 'low',
          title: `${s.collection}.${f.path} is stored as ${types.map((t) => `${t.type} (${Math.round(t.probability * 100)}%)`).join(' and ')}`,
          summary:
            'A query or index bound on one type skips documents holding another (a range on numbers ignores "42"), and sorts order by type first. Convert the minority to the majority type and add a validator.',
          evidence: {
            collection: s.collection,
            path: f.path,
            types: types.map((t) => ({ type: t.type, count: t.count, probability: t.probability })),
            sampled: s.documents,
          },
          identity: [dataset.database, s.collection, f.path],
          ...(code ? { remediation: { code } } : {}),
          location: { object: `${s.collection}.${f.path}` },
        }),
      );
    }
  }
  return out;
}
