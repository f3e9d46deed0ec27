import type { Finding } from '../findings/finding.js';
import { collectionRef, type MongoFindingInput, mongoFinding, originLocation } from './finding.js';
import { createIndexCode, indexesOrId, indexSupport, keySpec } from './index-advice.js';
import { type FilterShape, filterShape, type RegexInfo, scriptsIn, shapeOf } from './query-shape.js';
import type { MongoThresholds } from './thresholds.js';
import type { MongoDataset, MongoOperation } from './types.js';

/** A readable label for an operation in titles: its name, or `orders.find({status})`. */
export function operationLabel(op: MongoOperation): string {
  if (op.name) return op.name;
  if (op.kind === 'aggregate') {
    const stages = (op.pipeline ?? []).map((s) => Object.keys(s)[0]).join(' → ');
    return `${op.collection}.aggregate(${stages})`;
  }
  const fields = Object.keys(op.filter ?? {}).join(', ');
  return `${op.collection}.${op.kind}({${fields}})${op.sort ? `.sort({${Object.keys(op.sort).join(', ')}})` : ''}`;
}

/** The filter and sort of an operation the way an index sees them: find/count/update filters, or a pipeline's first `$match` (+ `$sort`). */
export function indexableShape(
  op: MongoOperation,
): { filter?: Readonly<Record<string, unknown>>; sort?: Readonly<Record<string, number>>; stage?: number } | undefined {
  if (op.kind === 'insert') return undefined;
  if (op.kind !== 'aggregate')
    return { ...(op.filter ? { filter: op.filter } : {}), ...(op.sort ? { sort: op.sort } : {}) };
  const [first, second] = op.pipeline ?? [];
  if (!first) return undefined;
  if ('$match' in first) {
    const sort = second && '$sort' in second ? (second.$sort as Record<string, number>) : undefined;
    return { filter: first.$match as Record<string, unknown>, ...(sort ? { sort } : {}), stage: 0 };
  }
  if ('$sort' in first) return { sort: first.$sort as Record<string, number>, stage: 0 };
  return undefined;
}

function allRegexes(shape: FilterShape): { path: string; regex: RegexInfo }[] {
  const out = shape.predicates.flatMap((p) => (p.regex ? [{ path: p.path, regex: p.regex }] : []));
  for (const b of shape.orBranches) out.push(...allRegexes(b));
  return out;
}

/** What every workload rule needs. */
export interface WorkloadInput {
  dataset: MongoDataset;
  thresholds: MongoThresholds;
}

/**
 * `mongo-unindexed-query`: a find/count/update filter, or a pipeline's first `$match`/`$sort`, that no index
 * bounds (a collection scan) or whose sort no index provides (a blocking in-memory sort). The remediation is the
 * index the Equality-Sort-Range rule gives. Operations of the same shape are reported once, frequencies summed.
 */
export function unindexedQueries({ dataset }: WorkloadInput): Finding[] {
  const grouped = new Map<string, { ops: MongoOperation[]; finding: MongoFindingInput }>();
  for (const op of dataset.operations) {
    const target = indexableShape(op);
    if (!target) continue;
    const shape = filterShape(target.filter);
    if (shape.hasText) continue; // $text always uses the text index (or fails)
    // Only unanchored or /i regexes: no index bounds them; the regex rules report them with the right fix.
    const regexOnly =
      shape.predicates.length > 0 && shape.predicates.every((p) => p.kind === 'regex' && !p.regex?.anchored);
    if (regexOnly && !target.sort) continue;
    const coll = dataset.collections.get(op.collection);
    const indexes = indexesOrId(coll?.indexes);
    const support = indexSupport(indexes, shape, target.sort);
    if (support.verdict === 'ok' || !support.recommended) continue;
    const key = `${op.collection}\u0000${keySpec(support.recommended)}\u0000${support.verdict}`;
    const seen = grouped.get(key);
    if (seen) {
      seen.ops.push(op);
      continue;
    }
    const where = target.stage === 0 ? 'first stage of the pipeline' : op.kind;
    const collscan = support.verdict === 'collscan';
    grouped.set(key, {
      ops: [op],
      finding: {
        ruleId: 'mongo-unindexed-query',
        severity: collscan ? 'medium' : 'low',
        title: collscan
          ? `${operationLabel(op)}: no index for the ${where} (collection scan); add ${keySpec(support.recommended)}`
          : `${operationLabel(op)}: the sort is done in memory; add ${keySpec(support.recommended)}`,
        summary: collscan
          ? 'Without an index the server reads every document of the collection for each call. The index below follows the Equality-Sort-Range rule: equality fields, then the sort, then ranges.'
          : 'An index bounds the filter but none returns documents in the requested order, so the server sorts in memory (a blocking stage limited to 100 MB). An index with the sort after the equality fields removes it.',
        evidence: {
          collection: op.collection,
          stage: target.stage === 0 ? 'pipeline[0]' : op.kind,
          filter: shapeOf(target.filter ?? {}),
          sort: target.sort ?? null,
          indexUsed: support.usable?.name ?? null,
          indexesKnown: coll?.indexes !== undefined,
          indexes: indexes.map((i) => i.name),
          collectionDocuments: coll?.stats?.count ?? coll?.documents.length ?? null,
          ...(op.profile ? { profile: op.profile } : {}),
        },
        identity: [dataset.database, op.collection, keySpec(support.recommended), support.verdict],
        remediation: {
          code: createIndexCode(op.collection, support.recommended),
          steps: [
            'Build it on a secondary-friendly schedule: index builds take an exclusive lock only at the start and end.',
          ],
        },
        location: originLocation(op.origin, op.collection),
      },
    });
  }
  return [...grouped.values()].map(({ ops, finding }) =>
    mongoFinding({
      ...finding,
      evidence: {
        ...finding.evidence,
        operations: ops.length,
        frequency: ops.reduce((a, o) => a + o.frequency, 0),
      },
    }),
  );
}

function filtersOf(op: MongoOperation): Readonly<Record<string, unknown>>[] {
  const out: Readonly<Record<string, unknown>>[] = [];
  if (op.filter) out.push(op.filter);
  for (const stage of op.pipeline ?? []) if (stage.$match) out.push(stage.$match as Record<string, unknown>);
  return out;
}

/**
 * `mongo-case-insensitive-regex` and `mongo-regex-unanchored`. A case-insensitive regex cannot use index bounds
 * (every index key is tested), and neither can an unanchored one; case-insensitive equality is served by an index
 * with a strength-2 collation, prefix search by an anchored regex on a normalized field.
 */
export function regexQueries({ dataset }: WorkloadInput): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const op of dataset.operations) {
    for (const filter of filtersOf(op)) {
      for (const { path, regex } of allRegexes(filterShape(filter))) {
        const coll = dataset.collections.get(op.collection);
        if (regex.caseInsensitive) {
          const collationIndex = indexesOrId(coll?.indexes).find(
            (ix) => Object.keys(ix.key)[0] === path && ix.collation !== undefined && (ix.collation.strength ?? 3) <= 2,
          );
          const key = `ci\u0000${op.collection}\u0000${path}`;
          if (collationIndex || seen.has(key)) continue;
          seen.add(key);
          const prefix = /^\^([\w\s@.-]*)/.exec(regex.source)?.[1];
          findings.push(
            mongoFinding({
              ruleId: 'mongo-case-insensitive-regex',
              severity: 'medium',
              title: `${operationLabel(op)}: case-insensitive regex /${regex.source}/${regex.flags} on ${op.collection}.${path} without a collation index`,
              summary:
                'A /i regex cannot narrow an index scan, so it tests every key (or every document). A case-insensitive collation index serves case-insensitive equality directly.',
              evidence: {
                collection: op.collection,
                path,
                regex: `/${regex.source}/${regex.flags}`,
                anchored: regex.source.startsWith('^'),
                frequency: op.frequency,
                collationIndexes: (coll?.indexes ?? []).filter((i) => i.collation).map((i) => i.name),
              },
              identity: [dataset.database, op.collection, path],
              remediation: {
                code: [
                  createIndexCode(op.collection, [[path, 1]], { collation: { locale: 'en', strength: 2 } }),
                  `// exact match, any case:`,
                  `${collectionRef(op.collection)}.find({ ${JSON.stringify(path)}: ${JSON.stringify(prefix ?? 'value')} }).collation({ locale: "en", strength: 2 })`,
                  `// prefix search: store a lower-cased copy and use an anchored, case-sensitive regex on it`,
                  `${collectionRef(op.collection)}.updateMany({}, [{ $set: { ${JSON.stringify(`${path}Lower`)}: { $toLower: "$${path}" } } }])`,
                  createIndexCode(op.collection, [[`${path}Lower`, 1]]),
                ].join('\n'),
              },
              location: originLocation(op.origin, op.collection),
            }),
          );
        } else if (!regex.anchored) {
          const key = `un\u0000${op.collection}\u0000${path}`;
          if (seen.has(key)) continue;
          seen.add(key);
          findings.push(
            mongoFinding({
              ruleId: 'mongo-regex-unanchored',
              severity: 'low',
              title: `${operationLabel(op)}: unanchored regex /${regex.source}/ on ${op.collection}.${path}`,
              summary:
                'Only a regex anchored with ^ (and without i) turns into index bounds; an unanchored one scans the whole index or collection. Anchor it, or use a text or Atlas Search index for word search.',
              evidence: {
                collection: op.collection,
                path,
                regex: `/${regex.source}/${regex.flags}`,
                frequency: op.frequency,
              },
              identity: [dataset.database, op.collection, path],
              remediation: {
                code: `${collectionRef(op.collection)}.find({ ${JSON.stringify(path)}: /^${regex.source.replace(/^\.\*/, '')}/ })\n// word search instead:\n${collectionRef(op.collection)}.createIndex({ ${JSON.stringify(path)}: "text" })`,
              },
              location: originLocation(op.origin, op.collection),
            }),
          );
        }
      }
    }
  }
  return findings;
}

/** `mongo-large-skip`: `skip` / `$skip` above the threshold; the server still walks every skipped document. */
export function largeSkips({ dataset, thresholds: t }: WorkloadInput): Finding[] {
  const findings: Finding[] = [];
  for (const op of dataset.operations) {
    const skips: number[] = [];
    if (op.skip !== undefined) skips.push(op.skip);
    for (const s of op.pipeline ?? []) if (typeof s.$skip === 'number') skips.push(s.$skip);
    const skip = Math.max(0, ...skips);
    if (skip <= t.skip) continue;
    const sortField = Object.keys(op.sort ?? {})[0] ?? '_id';
    findings.push(
      mongoFinding({
        ruleId: 'mongo-large-skip',
        severity: 'low',
        title: `${operationLabel(op)}: skips ${skip} documents (over ${t.skip})`,
        summary:
          'Skipped documents are still read and discarded, so page N costs N pages of work. Paginate by range on the sort key instead.',
        evidence: { collection: op.collection, skip, threshold: t.skip, frequency: op.frequency },
        identity: [dataset.database, op.collection, JSON.stringify(shapeOf(op.filter ?? op.pipeline ?? {}))],
        remediation: {
          code: `// remember the last ${sortField} of the previous page, then:\n${collectionRef(op.collection)}.find({ ...filter, ${JSON.stringify(sortField)}: { $lt: last${sortField.replace(/^\w/, (c) => c.toUpperCase()).replace(/\W/g, '')} } }).sort({ ${JSON.stringify(sortField)}: -1, _id: -1 }).limit(pageSize)`,
        },
        location: originLocation(op.origin, op.collection),
      }),
    );
  }
  return findings;
}

/**
 * `mongo-script-operator`: `$where`, `$function` or `$accumulator`. Server-side JavaScript is slow (no index
 * use, an interpreter per document) and deprecated since MongoDB 8.0.
 */
export function scriptOperators({ dataset }: WorkloadInput): Finding[] {
  const findings: Finding[] = [];
  for (const op of dataset.operations) {
    const found = [...new Set([...scriptsIn(op.filter), ...scriptsIn(op.pipeline)])];
    if (found.length === 0) continue;
    findings.push(
      mongoFinding({
        ruleId: 'mongo-script-operator',
        severity: 'high',
        title: `${operationLabel(op)} runs server-side JavaScript (${found.join(', ')})`,
        summary:
          'JavaScript operators run an interpreter for each document, cannot use indexes and are deprecated since MongoDB 8.0; the aggregation expression language covers nearly every case.',
        evidence: { collection: op.collection, operators: found, frequency: op.frequency },
        identity: [dataset.database, op.collection, JSON.stringify(shapeOf(op.filter ?? op.pipeline ?? {}))],
        remediation: {
          steps: [
            '$where → a query on fields, or { $expr: { … } } with aggregation operators.',
            '$function → $let/$cond/$map/$reduce/$regexMatch expressions.',
            '$accumulator → $group accumulators ($sum, $push + $reduce, $topN, $mergeObjects).',
          ],
        },
        location: originLocation(op.origin, op.collection),
      }),
    );
  }
  return findings;
}

/** `$lookup` stages anywhere in a pipeline (including inside `$facet` and sub-pipelines). */
export function lookupsIn(
  pipeline: readonly Readonly<Record<string, unknown>>[] | undefined,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const stage of pipeline ?? []) {
    const lookup = stage.$lookup as Record<string, unknown> | undefined;
    if (lookup) {
      out.push(lookup);
      if (Array.isArray(lookup.pipeline)) out.push(...lookupsIn(lookup.pipeline as Record<string, unknown>[]));
    }
    const facet = stage.$facet as Record<string, unknown> | undefined;
    if (facet) for (const sub of Object.values(facet)) if (Array.isArray(sub)) out.push(...lookupsIn(sub));
    const union = stage.$unionWith as Record<string, unknown> | undefined;
    if (union && Array.isArray(union.pipeline)) out.push(...lookupsIn(union.pipeline as Record<string, unknown>[]));
  }
  return out;
}

/**
 * `mongo-heavy-lookup`: a collection whose reads `$lookup` the same foreign collection in at least
 * `lookupShare` of their calls. A join on most reads is the sign that the data is read together and belongs in
 * one document (embedded, or an extended reference with the few fields the reads need).
 */
export function heavyLookups({ dataset, thresholds: t }: WorkloadInput): Finding[] {
  const reads = new Map<string, number>();
  const joins = new Map<
    string,
    { from: string; collection: string; frequency: number; ops: MongoOperation[]; lookup: Record<string, unknown> }
  >();
  for (const op of dataset.operations) {
    if (!['find', 'aggregate', 'count', 'distinct'].includes(op.kind)) continue;
    reads.set(op.collection, (reads.get(op.collection) ?? 0) + op.frequency);
    const froms = new Map<string, Record<string, unknown>>();
    for (const l of lookupsIn(op.pipeline)) if (typeof l.from === 'string') froms.set(l.from, l);
    for (const [from, lookup] of froms) {
      const key = `${op.collection}\u0000${from}`;
      const j = joins.get(key) ?? { from, collection: op.collection, frequency: 0, ops: [], lookup };
      j.frequency += op.frequency;
      j.ops.push(op);
      joins.set(key, j);
    }
  }
  const findings: Finding[] = [];
  for (const j of joins.values()) {
    const total = reads.get(j.collection) ?? 0;
    const share = total > 0 ? j.frequency / total : 0;
    if (share < t.lookupShare) continue;
    findings.push(
      mongoFinding({
        ruleId: 'mongo-heavy-lookup',
        severity: 'medium',
        title: `${Math.round(share * 100)}% of reads on ${j.collection} $lookup ${j.from}`,
        summary:
          'A join on most reads costs an index lookup (or worse) per document every time; data read together is better stored together. See the modelling advice for the relationship.',
        evidence: {
          collection: j.collection,
          from: j.from,
          localField: j.lookup.localField ?? null,
          foreignField: j.lookup.foreignField ?? null,
          lookupFrequency: j.frequency,
          readFrequency: total,
          share: Math.round(share * 1000) / 1000,
          threshold: t.lookupShare,
          operations: j.ops.map(operationLabel),
        },
        identity: [dataset.database, j.collection, j.from],
        remediation: {
          steps: [
            `Embed the ${j.from} fields these reads use in ${j.collection} (extended reference), if they change rarely.`,
            `Or embed the ${j.from} documents entirely when they belong to one ${j.collection} document and are few.`,
          ],
        },
        location: originLocation(j.ops[0]!.origin, j.collection),
      }),
    );
  }
  return findings;
}
