import type { Finding } from '../findings/finding.js';
import { canonicalJson, type DryRun, dryRun, isOrdered, sameResult } from './dry-run.js';
import { collectionRef, formatBytes, mongoFinding, originLocation } from './finding.js';
import { createIndexCode, indexesOrId } from './index-advice.js';
import { lookupsIn, operationLabel, type WorkloadInput } from './query-rules.js';
import { findUnwindGroupRebuild } from './rewrite.js';
import type { MongoDataset, MongoOperation } from './types.js';

type Stage = Readonly<Record<string, unknown>>;

const opName = (s: Stage) => Object.keys(s)[0] ?? '?';
const pipelines = (dataset: MongoDataset) => dataset.operations.filter((o) => o.kind === 'aggregate' && o.pipeline);
const identityOf = (op: MongoOperation) => op.name ?? JSON.stringify(op.pipeline?.map(opName));

/** Stages that neither drop nor add documents nor reorder them: a `$limit` after them still bounds a `$sort`. */
const PASS_THROUGH = new Set(['$project', '$addFields', '$set', '$unset', '$lookup', '$replaceRoot', '$replaceWith']);

/** The foreign field a `$lookup` joins on: `foreignField`, or `$expr: { $eq: ["$f", "$$v"] }` in its pipeline. */
export function lookupForeignField(lookup: Record<string, unknown>): string | undefined {
  if (typeof lookup.foreignField === 'string') return lookup.foreignField;
  const first = Array.isArray(lookup.pipeline) ? (lookup.pipeline[0] as Stage | undefined) : undefined;
  const expr = (first?.$match as Record<string, unknown> | undefined)?.$expr as Record<string, unknown> | undefined;
  const eq = expr?.$eq;
  if (Array.isArray(eq)) {
    const field = eq.find((x) => typeof x === 'string' && x.startsWith('$') && !x.startsWith('$$'));
    if (typeof field === 'string') return field.slice(1);
  }
  return undefined;
}

/**
 * `mongo-lookup-unindexed-foreign-field`: `$lookup` joins on a foreign field no index leads with, so each input
 * document scans the foreign collection.
 */
export function lookupUnindexed({ dataset }: WorkloadInput): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const op of pipelines(dataset)) {
    for (const lookup of lookupsIn(op.pipeline)) {
      const from = lookup.from;
      const foreignField = lookupForeignField(lookup);
      if (typeof from !== 'string' || !foreignField) continue;
      const target = dataset.collections.get(from);
      const indexed = indexesOrId(target?.indexes).some((ix) => Object.keys(ix.key)[0] === foreignField);
      if (indexed || seen.has(`${from}\u0000${foreignField}`)) continue;
      seen.add(`${from}\u0000${foreignField}`);
      findings.push(
        mongoFinding({
          ruleId: 'mongo-lookup-unindexed-foreign-field',
          severity: 'high',
          title: `${operationLabel(op)}: $lookup on ${from}.${foreignField} has no index`,
          summary:
            'For every document entering the $lookup the server searches the foreign collection; without an index on foreignField that is a full scan each time, so the join costs input × foreign documents.',
          evidence: {
            collection: op.collection,
            from,
            localField: lookup.localField ?? null,
            foreignField,
            foreignDocuments: target?.stats?.count ?? target?.documents.length ?? null,
            foreignIndexes: indexesOrId(target?.indexes).map((i) => i.name),
            indexesKnown: target?.indexes !== undefined,
          },
          identity: [dataset.database, from, foreignField],
          remediation: { code: createIndexCode(from, [[foreignField, 1]]) },
          location: originLocation(op.origin, op.collection),
        }),
      );
    }
  }
  return findings;
}

/** Sample documents of a collection, for dry runs. */
function docsOf(dataset: MongoDataset) {
  return (name: string) => dataset.collections.get(name)?.documents;
}

/**
 * `mongo-unwind-group-rebuild`: `$unwind` then `$group` by `_id` that only rebuilds the array. The remediation is
 * the rewritten pipeline; when samples exist, both pipelines are run and the finding says whether their results
 * are identical on the sample.
 */
export function unwindGroupRebuild({ dataset }: WorkloadInput): Finding[] {
  const findings: Finding[] = [];
  for (const op of pipelines(dataset)) {
    const found = findUnwindGroupRebuild(op.pipeline!);
    if (!found) continue;
    const docs = dataset.collections.get(op.collection)?.documents;
    let proof: Record<string, unknown> | undefined;
    if (found.rewritten && docs && docs.length > 0) {
      const before = dryRun(op.pipeline!, docs, { collections: docsOf(dataset) });
      const after = dryRun(found.rewritten, docs, { collections: docsOf(dataset) });
      if (before.output && after.output) {
        const ordered = isOrdered(op.pipeline!);
        proof = {
          sampleDocuments: docs.length,
          originalResults: before.output.length,
          rewrittenResults: after.output.length,
          identical: sameResult(before.output, after.output, ordered),
          compared: ordered ? 'in order' : 'as multisets (group output order is unspecified)',
          originalPeakDocuments: Math.max(...before.stages.map((s) => s.documents)),
          rewrittenPeakDocuments: Math.max(...after.stages.map((s) => s.documents)),
        };
      }
    }
    findings.push(
      mongoFinding({
        ruleId: 'mongo-unwind-group-rebuild',
        severity: 'medium',
        title: `${operationLabel(op)}: $unwind "${found.arrayPath}" + $group by _id only rebuilds the array`,
        summary:
          'Unwinding multiplies documents and the $group holds all of them in memory to put them back together; $filter/$map/$reduce do the same work inside each document, streaming.',
        evidence: {
          collection: op.collection,
          arrayPath: found.arrayPath,
          stages: [found.start, found.end],
          ...(found.reason ? { noRewrite: found.reason } : {}),
          ...(proof ? { dryRun: proof } : {}),
        },
        identity: [dataset.database, op.collection, identityOf(op), found.arrayPath],
        ...(found.rewritten
          ? {
              remediation: {
                code: `${collectionRef(op.collection)}.aggregate(${JSON.stringify(found.rewritten, null, 2)})`,
              },
            }
          : {}),
        ...(proof ? { impact: { measured: proof } } : {}),
        location: originLocation(op.origin, op.collection),
      }),
    );
  }
  return findings;
}

/**
 * `mongo-unbounded-push`: `$push`/`$addToSet` in a `$group` with no `$limit` before it: the array grows with
 * the data until the group hits the 16 MiB document limit or the 100 MB stage limit.
 */
export function unboundedPush({ dataset }: WorkloadInput): Finding[] {
  const findings: Finding[] = [];
  for (const op of pipelines(dataset)) {
    const p = op.pipeline!;
    p.forEach((stage, i) => {
      const group = stage.$group as Record<string, unknown> | undefined;
      if (!group) return;
      if (p.slice(0, i).some((s) => '$limit' in s)) return;
      const accs = Object.entries(group).filter(
        ([k, v]) => k !== '_id' && typeof v === 'object' && v !== null && ('$push' in v || '$addToSet' in v),
      );
      // An $unwind + $group rebuild is reported (with its rewrite) by mongo-unwind-group-rebuild.
      const rebuild = findUnwindGroupRebuild(p);
      if (accs.length === 0 || (rebuild && rebuild.end === i)) return;
      for (const [field, acc] of accs) {
        const [accOp, arg] = Object.entries(acc as Record<string, unknown>)[0]!;
        findings.push(
          mongoFinding({
            ruleId: 'mongo-unbounded-push',
            severity: 'medium',
            title: `${operationLabel(op)}: ${accOp} into "${field}" in $group (stage ${i}) has no bound`,
            summary:
              'The array grows with the number of documents per group; a large group fails with BSONObjectTooLarge (16 MiB) or spills past the 100 MB stage limit. Bound it with $firstN/$lastN/$topN, or sort and slice.',
            evidence: { collection: op.collection, stage: i, field, accumulator: accOp, groupBy: group._id ?? null },
            identity: [dataset.database, op.collection, identityOf(op), i, field],
            remediation: {
              code: `{ $group: { _id: ${JSON.stringify(group._id)}, ${field}: { $firstN: { input: ${JSON.stringify(arg)}, n: 100 } } } }\n// or, ordered: { $topN: { n: 100, sortBy: { createdAt: -1 }, output: ${JSON.stringify(arg)} } }  (MongoDB 5.2+)`,
            },
            location: originLocation(op.origin, op.collection),
          }),
        );
      }
    });
  }
  return findings;
}

/**
 * `mongo-sort-without-limit`: a `$sort` whose output is not bounded by a `$limit`; the sort holds every input
 * document (100 MB stage limit, spilling to disk) and returns all of them. A `$sort` feeding a `$group`
 * (for `$first`/`$last`) is not reported.
 */
export function sortWithoutLimit({ dataset }: WorkloadInput): Finding[] {
  const findings: Finding[] = [];
  for (const op of pipelines(dataset)) {
    const p = op.pipeline!;
    p.forEach((stage, i) => {
      if (!stage.$sort) return;
      let j = i + 1;
      while (j < p.length && PASS_THROUGH.has(opName(p[j]!))) j++;
      const next = p[j] ? opName(p[j]!) : undefined;
      if (next === '$limit' || next === '$group' || next === '$out' || next === '$merge') return;
      if (next === '$skip' && p[j + 1] && opName(p[j + 1]!) === '$limit') return;
      findings.push(
        mongoFinding({
          ruleId: 'mongo-sort-without-limit',
          severity: 'low',
          title: `${operationLabel(op)}: $sort (stage ${i}) is not followed by $limit`,
          summary:
            'An unbounded sort keeps every input document in memory (or spills to disk past 100 MB) and returns them all; with a $limit right after it the server keeps only the top N.',
          evidence: { collection: op.collection, stage: i, sort: stage.$sort, next: next ?? null },
          identity: [dataset.database, op.collection, identityOf(op), i],
          remediation: {
            steps: ['Add { $limit: N } right after the $sort, or back the sort with an index on the first stage.'],
          },
          location: originLocation(op.origin, op.collection),
        }),
      );
    });
  }
  return findings;
}

/** `mongo-out-merge-not-last`, `mongo-geonear-not-first`, `mongo-too-many-lookups`: stage placement and count. */
export function stagePlacement({ dataset, thresholds: t }: WorkloadInput): Finding[] {
  const findings: Finding[] = [];
  for (const op of pipelines(dataset)) {
    const p = op.pipeline!;
    p.forEach((stage, i) => {
      const name = opName(stage);
      if ((name === '$out' || name === '$merge') && i !== p.length - 1) {
        findings.push(
          mongoFinding({
            ruleId: 'mongo-out-merge-not-last',
            severity: 'high',
            title: `${operationLabel(op)}: ${name} is stage ${i} of ${p.length}, not the last`,
            summary: `${name} must be the last stage; the server rejects the pipeline.`,
            evidence: { collection: op.collection, stage: i, stages: p.length, operator: name },
            identity: [dataset.database, op.collection, identityOf(op), name],
            remediation: { steps: [`Move ${name} to the end, after every other stage.`] },
            location: originLocation(op.origin, op.collection),
          }),
        );
      }
      if (name === '$geoNear' && i !== 0) {
        findings.push(
          mongoFinding({
            ruleId: 'mongo-geonear-not-first',
            severity: 'high',
            title: `${operationLabel(op)}: $geoNear is stage ${i}, not the first`,
            summary:
              '$geoNear must be the first stage (it needs the geospatial index); the server rejects the pipeline.',
            evidence: { collection: op.collection, stage: i },
            identity: [dataset.database, op.collection, identityOf(op), '$geoNear'],
            remediation: { steps: ['Make $geoNear the first stage and move the other filters into its query option.'] },
            location: originLocation(op.origin, op.collection),
          }),
        );
      }
    });
    const lookups = lookupsIn(p);
    if (lookups.length > t.lookupsPerPipeline) {
      findings.push(
        mongoFinding({
          ruleId: 'mongo-too-many-lookups',
          severity: 'medium',
          title: `${operationLabel(op)} has ${lookups.length} $lookup stages (over ${t.lookupsPerPipeline})`,
          summary:
            'Each $lookup is a query per input document; a pipeline that needs many joins reads data that is modelled apart but used together.',
          evidence: {
            collection: op.collection,
            lookups: lookups.length,
            threshold: t.lookupsPerPipeline,
            from: lookups.map((l) => l.from),
          },
          identity: [dataset.database, op.collection, identityOf(op)],
          remediation: {
            steps: [
              'Embed or denormalize the fields the pipeline reads from the joined collections (see modelling advice).',
            ],
          },
          location: originLocation(op.origin, op.collection),
        }),
      );
    }
  }
  return findings;
}

function fieldsComputedBy(stage: Stage): Set<string> | undefined {
  const spec = (stage.$addFields ?? stage.$set ?? stage.$project) as Record<string, unknown> | undefined;
  if (!spec) return undefined;
  const out = new Set<string>();
  for (const [k, v] of Object.entries(spec))
    if (!(v === 1 || v === 0 || v === true || v === false)) out.add(k.split('.')[0]!);
  return out;
}

/**
 * The reorderings and coalescences the server's pipeline optimizer already does (MongoDB manual, "Aggregation
 * Pipeline Optimization"), so nobody rewrites a pipeline by hand for them. Returned as notes, not findings.
 */
export function serverOptimizations(op: MongoOperation): string[] {
  const p = op.pipeline ?? [];
  const notes: string[] = [];
  const label = operationLabel(op);
  for (let i = 0; i + 1 < p.length; i++) {
    const a = opName(p[i]!);
    const b = opName(p[i + 1]!);
    if (['$project', '$addFields', '$set', '$unset'].includes(a) && b === '$match') {
      const computed = fieldsComputedBy(p[i]!) ?? new Set<string>();
      const fields = Object.keys(p[i + 1]!.$match as Record<string, unknown>).map((f) => f.split('.')[0]!);
      const movable = fields.filter((f) => !computed.has(f) && !f.startsWith('$'));
      if (movable.length > 0)
        notes.push(
          `${label}: the server moves the $match on ${movable.join(', ')} (stage ${i + 1}) before ${a} (stage ${i}); no need to reorder by hand.`,
        );
    }
    if (a === '$sort' && b === '$match')
      notes.push(`${label}: the server runs the $match (stage ${i + 1}) before the $sort (stage ${i}).`);
    if (a === '$sort' && b === '$limit')
      notes.push(
        `${label}: $sort + $limit (stages ${i}-${i + 1}) coalesce into a top-${String(p[i + 1]!.$limit)} sort that keeps only ${String(p[i + 1]!.$limit)} documents in memory.`,
      );
    if (a === '$skip' && b === '$limit')
      notes.push(
        `${label}: the server moves $limit (stage ${i + 1}) before $skip (stage ${i}), adding the skip to the limit.`,
      );
    if (a === '$match' && b === '$match')
      notes.push(`${label}: consecutive $match stages ${i}-${i + 1} are merged into one.`);
    if (a === '$limit' && b === '$limit')
      notes.push(`${label}: consecutive $limit stages ${i}-${i + 1} are merged (the smaller wins).`);
    if (a === '$lookup' && b === '$unwind') {
      const as = (p[i]!.$lookup as Record<string, unknown>).as;
      const u = p[i + 1]!.$unwind;
      const path = typeof u === 'string' ? u : (u as Record<string, unknown>)?.path;
      if (path === `$${String(as)}`)
        notes.push(
          `${label}: $lookup + $unwind of "${String(as)}" (stages ${i}-${i + 1}) coalesce: the joined array is never built.`,
        );
    }
  }
  return notes;
}

/** One dry run, with the projection of its figures to the whole collection. */
export interface PipelineDryRun {
  operation: MongoOperation;
  run: DryRun;
  /** Collection documents / sampled documents (1 when the collection size is unknown). */
  scale: number;
}

/** Dry runs of every pipeline that has sample documents. */
export function dryRunAll(dataset: MongoDataset): PipelineDryRun[] {
  const out: PipelineDryRun[] = [];
  for (const op of pipelines(dataset)) {
    const coll = dataset.collections.get(op.collection);
    if (!coll || coll.documents.length === 0) continue;
    const run = dryRun(op.pipeline!, coll.documents, { collections: docsOf(dataset) });
    const scale =
      coll.stats?.count && coll.stats.count > coll.documents.length ? coll.stats.count / coll.documents.length : 1;
    out.push({ operation: op, run, scale });
  }
  return out;
}

const BLOCKING = new Set(['$group', '$sort', '$bucket', '$bucketAuto', '$sortByCount', '$facet', '$setWindowFields']);
const GROUPING = new Set(['$group', '$bucket', '$bucketAuto', '$sortByCount', '$count']);
const GROWS_WITH_DATA = (stage: Stage) => {
  const g = stage.$group as Record<string, unknown> | undefined;
  return (
    g !== undefined &&
    Object.values(g).some((v) => typeof v === 'object' && v !== null && ('$push' in v || '$addToSet' in v))
  );
};

/**
 * Documents a group key takes on the whole collection, when the key is a reference whose collection size is
 * known (`$userId` → `users`): the referenced collection's count. `undefined` when unknown.
 */
function keyCardinality(dataset: MongoDataset, key: unknown): number | undefined {
  if (typeof key !== 'string' || !key.startsWith('$') || key.startsWith('$$')) return undefined;
  const stem = key
    .slice(1)
    .split('.')
    .pop()!
    .replace(/(_id|Id)$/, '')
    .toLowerCase();
  for (const c of dataset.collections.values()) {
    const n = c.name.toLowerCase();
    if ((n === `${stem}s` || n === stem || n === `${stem}es`) && c.stats?.count) return c.stats.count;
  }
  return undefined;
}

/** How one stage's sample figures scale to the whole collection. */
export interface StageProjection {
  index: number;
  operator: string;
  /** Factor from sample documents to collection documents at the stage's output. */
  documentScale: number;
  /** For grouping stages with $push/$addToSet: growth of one group's arrays. */
  groupGrowth?: number;
  /** Bytes a blocking stage would hold on the whole collection. */
  heldBytes?: number;
  /** Largest output document on the whole collection (upper estimate). */
  maxDocumentBytes: number;
  /** How the group count was estimated. */
  groups?: 'saturated' | 'per-referenced-document' | 'unknown';
}

/**
 * Projects a dry run to the whole collection. Before any grouping, counts and bytes scale by collection/sample.
 * A group whose keys repeat in the sample (groups ≤ half the input) is taken as saturated: the same groups, each
 * `scale` times larger. A group with mostly distinct keys has as many groups as the referenced collection has
 * documents when the key is a known reference (`$userId` → users); otherwise its growth is unknown and it is not
 * projected. After a `$limit` nothing scales.
 */
export function projectDryRun(
  run: DryRun,
  pipeline: readonly Stage[],
  scale: number,
  dataset: MongoDataset,
): StageProjection[] {
  const out: StageProjection[] = [];
  let docScale = scale;
  let inputBytes = run.inputBytes;
  let inputDocs = run.inputDocuments;
  for (const s of run.stages) {
    if (s.skipped) break;
    const stage = pipeline[s.index]!;
    const before = docScale;
    const proj: StageProjection = {
      index: s.index,
      operator: s.operator,
      documentScale: docScale,
      maxDocumentBytes: s.maxDocumentBytes,
    };
    if (s.operator === '$limit') docScale = 1;
    else if (GROUPING.has(s.operator)) {
      const ratio = inputDocs > 0 ? s.documents / inputDocs : 1;
      let groups: StageProjection['groups'];
      if (ratio <= 0.5) {
        docScale = 1;
        groups = 'saturated';
      } else {
        const card = keyCardinality(dataset, (stage.$group as Record<string, unknown> | undefined)?._id);
        if (card !== undefined && s.documents > 0) {
          docScale = Math.max(1, card / s.documents);
          groups = 'per-referenced-document';
        } else {
          groups = 'unknown';
        }
      }
      proj.groups = groups;
      proj.documentScale = docScale;
      if (GROWS_WITH_DATA(stage) && groups !== 'unknown') {
        const growth = Math.max(1, before / docScale);
        proj.groupGrowth = Math.round(growth * 100) / 100;
        proj.maxDocumentBytes = Math.round(s.maxDocumentBytes * growth);
        proj.heldBytes = Math.round(inputBytes * before);
      } else {
        proj.heldBytes = Math.round(s.bytes * docScale);
      }
    } else if (BLOCKING.has(s.operator)) {
      proj.heldBytes = Math.round(inputBytes * before);
    }
    out.push(proj);
    inputBytes = s.bytes;
    inputDocs = s.documents;
  }
  return out;
}

/**
 * Dry-run findings: `mongo-dry-run` (info, the per-stage figures on the sample and their projection),
 * `mongo-stage-memory` (a blocking stage projected past 100 MB on the whole collection) and
 * `mongo-result-document-too-large` (an output document projected past 16 MiB), see {@link projectDryRun}.
 */
export function dryRunFindings(runs: readonly PipelineDryRun[], { dataset, thresholds: t }: WorkloadInput): Finding[] {
  const findings: Finding[] = [];
  for (const { operation: op, run, scale } of runs) {
    const p = op.pipeline!;
    const projection = projectDryRun(run, p, scale, dataset);
    const stages = run.stages.map((s) => {
      const pr = projection.find((x) => x.index === s.index);
      return {
        stage: `${s.index}:${s.operator}`,
        documents: s.documents,
        bytes: s.bytes,
        maxDocumentBytes: s.maxDocumentBytes,
        ...(s.skipped ? { skipped: s.skipped } : {}),
        ...(pr && scale > 1
          ? {
              projectedDocuments: Math.round(s.documents * pr.documentScale),
              ...(pr.heldBytes !== undefined ? { projectedHeldBytes: pr.heldBytes } : {}),
              projectedMaxDocumentBytes: pr.maxDocumentBytes,
              ...(pr.groups ? { groups: pr.groups } : {}),
            }
          : {}),
      };
    });
    findings.push(
      mongoFinding({
        ruleId: 'mongo-dry-run',
        severity: 'info',
        title: `${operationLabel(op)}: dry run on ${run.inputDocuments} sampled documents → ${run.output ? `${run.output.length} result${run.output.length === 1 ? '' : 's'}` : 'stopped'}`,
        summary:
          'Per-stage document counts and sizes on the sample (mingo, scripts disabled, nothing written), projected to the whole collection for the 100 MB stage and 16 MiB document limits.',
        evidence: {
          collection: op.collection,
          inputDocuments: run.inputDocuments,
          inputBytes: run.inputBytes,
          scale: Math.round(scale * 100) / 100,
          stages,
          ...(run.output && run.output.length <= 20 ? { result: JSON.parse(canonicalJson(run.output)) } : {}),
        },
        identity: [dataset.database, op.collection, identityOf(op)],
        location: originLocation(op.origin, op.collection),
      }),
    );
    for (const pr of projection) {
      if (pr.heldBytes !== undefined && pr.heldBytes > t.stageMemoryBytes) {
        findings.push(
          mongoFinding({
            ruleId: 'mongo-stage-memory',
            severity: 'medium',
            title: `${operationLabel(op)}: ${pr.operator} (stage ${pr.index}) would hold about ${formatBytes(pr.heldBytes)} on the whole collection (limit ${formatBytes(t.stageMemoryBytes)})`,
            summary:
              'A blocking stage over 100 MB spills to disk (allowDiskUse, on by default since 6.0) or fails; filter earlier, project fewer fields before it, or back a $sort with an index.',
            evidence: {
              collection: op.collection,
              stage: pr.index,
              scale,
              projectedBytes: pr.heldBytes,
              limitBytes: t.stageMemoryBytes,
              sample: run.stages[pr.index],
            },
            identity: [dataset.database, op.collection, identityOf(op), pr.index],
            location: originLocation(op.origin, op.collection),
          }),
        );
      }
      if (pr.groupGrowth !== undefined && pr.maxDocumentBytes > t.documentLimitBytes) {
        findings.push(
          mongoFinding({
            ruleId: 'mongo-result-document-too-large',
            severity: 'high',
            title: `${operationLabel(op)}: ${pr.operator} (stage ${pr.index}) builds documents of about ${formatBytes(pr.maxDocumentBytes)} (limit 16 MB)`,
            summary:
              'An output document over 16 MiB fails the whole pipeline with BSONObjectTooLarge. Bound the arrays or group finer.',
            evidence: {
              collection: op.collection,
              stage: pr.index,
              sampleMaxDocumentBytes: run.stages[pr.index]!.maxDocumentBytes,
              groupGrowth: pr.groupGrowth,
              groups: pr.groups,
              projectedBytes: pr.maxDocumentBytes,
              limitBytes: t.documentLimitBytes,
            },
            identity: [dataset.database, op.collection, identityOf(op), pr.index],
            location: originLocation(op.origin, op.collection),
          }),
        );
      }
    }
  }
  return findings;
}
