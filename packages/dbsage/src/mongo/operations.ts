import { InputError } from '../errors.js';
import { shapeOf } from './query-shape.js';
import { parseSamples } from './samples.js';
import type { MongoDocument, MongoOperation, MongoOrigin, OperationKind } from './types.js';

type Doc = Readonly<Record<string, unknown>>;

const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'object' && v !== null && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return undefined;
};

function base(collection: string, kind: OperationKind, entry: Doc, origin: MongoOrigin): MongoOperation {
  const frequency = num(entry.frequency) ?? 1;
  return {
    collection,
    kind,
    frequency,
    origin,
    ...(typeof entry.name === 'string' ? { name: entry.name } : {}),
    ...(isDoc(entry.collation) ? { collation: entry.collation as MongoOperation['collation'] } : {}),
  };
}

/**
 * Turns one command document into operations. The shape is the server's own command shape (what the profiler
 * records in `command`, what drivers send), so a queries file can be written by hand, copied from logs, or
 * exported from `system.profile`:
 * `{ find, filter, sort, projection, skip, limit }`, `{ aggregate, pipeline }`, `{ count, query }`,
 * `{ distinct, key, query }`, `{ update, updates: [{ q, u }] }`, `{ delete, deletes: [{ q }] }`, `{ insert }`.
 * dbsage adds `frequency` (relative weight, default 1) and `name`. Returns `undefined` for other commands.
 */
export function operationsFromCommand(entry: Doc, origin: MongoOrigin): MongoOperation[] | undefined {
  if (typeof entry.find === 'string') {
    const op = base(entry.find, 'find', entry, origin);
    return [
      {
        ...op,
        ...(isDoc(entry.filter) ? { filter: entry.filter } : {}),
        ...(isDoc(entry.sort) ? { sort: entry.sort as Record<string, number> } : {}),
        ...(isDoc(entry.projection) ? { projection: entry.projection } : {}),
        ...(num(entry.limit) !== undefined ? { limit: num(entry.limit)! } : {}),
        ...(num(entry.skip) !== undefined ? { skip: num(entry.skip)! } : {}),
      },
    ];
  }
  if (typeof entry.aggregate === 'string' && Array.isArray(entry.pipeline)) {
    return [{ ...base(entry.aggregate, 'aggregate', entry, origin), pipeline: entry.pipeline as Doc[] }];
  }
  if (typeof entry.count === 'string') {
    return [{ ...base(entry.count, 'count', entry, origin), ...(isDoc(entry.query) ? { filter: entry.query } : {}) }];
  }
  if (typeof entry.distinct === 'string') {
    return [
      { ...base(entry.distinct, 'distinct', entry, origin), ...(isDoc(entry.query) ? { filter: entry.query } : {}) },
    ];
  }
  if (typeof entry.update === 'string' && Array.isArray(entry.updates)) {
    return entry.updates.filter(isDoc).map((u) => ({
      ...base(entry.update as string, 'update', entry, origin),
      ...(isDoc(u.q) ? { filter: u.q } : {}),
      ...(isDoc(u.u) || Array.isArray(u.u) ? { update: u.u as Doc } : {}),
    }));
  }
  if (typeof entry.delete === 'string' && Array.isArray(entry.deletes)) {
    return entry.deletes.filter(isDoc).map((d) => ({
      ...base(entry.delete as string, 'delete', entry, origin),
      ...(isDoc(d.q) ? { filter: d.q } : {}),
    }));
  }
  if (typeof entry.insert === 'string') return [base(entry.insert, 'insert', entry, origin)];
  return undefined;
}

/**
 * Reads a `--queries` file (JSON array or NDJSON of command documents, Extended JSON allowed). An entry that is
 * not a known command is an input error with its line.
 */
export function parseQueries(text: string, file: string): MongoOperation[] {
  const { documents, lines } = parseSamples(text, file);
  const out: MongoOperation[] = [];
  documents.forEach((doc, i) => {
    const ops = operationsFromCommand(doc, { file, line: lines[i]! });
    if (!ops) {
      throw new InputError(
        `${file}:${lines[i]}: not a MongoDB command (expected find, aggregate, count, distinct, update, delete or insert with a collection name)`,
      );
    }
    out.push(...ops);
  });
  return out;
}

/**
 * Reads a `--pipeline` file: a JSON array of stages (the collection comes from `--collection`), or
 * `{ "aggregate": "orders", "pipeline": [...] }`, or an array of such objects.
 */
export function parsePipelineFile(text: string, file: string, collection: string | undefined): MongoOperation[] {
  const { documents, lines } = parseSamples(text, file);
  const name = file.replace(/^.*[\\/]/, '').replace(/\.(json|ndjson|jsonl)$/i, '');
  const firstLine = lines[0] ?? 1;
  if (
    documents.length > 0 &&
    documents.every((d) => Object.keys(d).length === 1 && Object.keys(d)[0]!.startsWith('$'))
  ) {
    if (!collection)
      throw new InputError(`${file}: a bare pipeline needs --collection to say which collection it reads`);
    return [
      { collection, kind: 'aggregate', pipeline: documents, frequency: 1, name, origin: { file, line: firstLine } },
    ];
  }
  const out: MongoOperation[] = [];
  documents.forEach((doc, i) => {
    const ops = operationsFromCommand(doc, { file, line: lines[i]! });
    const agg = ops?.filter((o) => o.kind === 'aggregate');
    if (!agg || agg.length === 0) {
      throw new InputError(`${file}:${lines[i]}: expected { "aggregate": "<collection>", "pipeline": [ ... ] }`);
    }
    out.push(...agg.map((o) => ({ ...o, name: o.name ?? name })));
  });
  return out;
}

/**
 * Turns `system.profile` entries into operations, grouping entries of the same shape (same query, different
 * parameters) into one operation whose frequency is the number of entries. Keeps the slowest entry's figures.
 */
export function operationsFromProfile(entries: readonly MongoDocument[], database: string): MongoOperation[] {
  const groups = new Map<string, MongoOperation>();
  for (const e of entries) {
    const ns = typeof e.ns === 'string' ? e.ns : '';
    if (!ns.startsWith(`${database}.`)) continue;
    const collection = ns.slice(database.length + 1);
    if (collection.startsWith('system.')) continue;
    const command = isDoc(e.command) ? e.command : undefined;
    if (!command) continue;
    let ops: MongoOperation[] | undefined;
    if (e.op === 'update' && (isDoc(command.q) || isDoc(command.u))) {
      ops = operationsFromCommand({ update: collection, updates: [command] }, { live: 'profile' });
    } else if (e.op === 'remove' && isDoc(command.q)) {
      ops = operationsFromCommand({ delete: collection, deletes: [command] }, { live: 'profile' });
    } else {
      ops = operationsFromCommand(command, { live: 'profile' });
    }
    for (const op of ops ?? []) {
      const key = JSON.stringify(
        shapeOf({ c: op.collection, k: op.kind, f: op.filter, s: op.sort, p: op.pipeline, u: op.update }),
      );
      const profile = {
        ...(num(e.millis) !== undefined ? { millis: num(e.millis)! } : {}),
        ...(num(e.docsExamined) !== undefined ? { docsExamined: num(e.docsExamined)! } : {}),
        ...(num(e.keysExamined) !== undefined ? { keysExamined: num(e.keysExamined)! } : {}),
        ...(num(e.nreturned) !== undefined ? { nreturned: num(e.nreturned)! } : {}),
        ...(typeof e.planSummary === 'string' ? { planSummary: e.planSummary } : {}),
      };
      const seen = groups.get(key);
      if (!seen) groups.set(key, { ...op, frequency: 1, profile });
      else {
        seen.frequency += 1;
        if ((profile.millis ?? 0) > (seen.profile?.millis ?? 0)) seen.profile = profile;
      }
    }
  }
  return [...groups.values()];
}
