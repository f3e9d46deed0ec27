import type { Finding } from '../findings/finding.js';
import { sortFindings } from '../findings/finding.js';
import {
  type AntiPatternInput,
  largeDocuments,
  redundantIndexes,
  tooManyCollections,
  tooManyIndexes,
  unboundedArrays,
  unusedIndexes,
} from './anti-patterns.js';
import { modellingAdvice } from './modelling.js';
import {
  dryRunAll,
  dryRunFindings,
  lookupUnindexed,
  type PipelineDryRun,
  serverOptimizations,
  sortWithoutLimit,
  stagePlacement,
  unboundedPush,
  unwindGroupRebuild,
} from './pipeline-lint.js';
import {
  heavyLookups,
  largeSkips,
  regexQueries,
  scriptOperators,
  unindexedQueries,
  type WorkloadInput,
} from './query-rules.js';
import { findRelationships, type Relationship } from './relationships.js';
import { type CollectionSchema, inferSchema, jsonSchemaValidator, typescriptDeclarations } from './schema.js';
import { polymorphicFields, schemaFindings } from './schema-findings.js';
import { type MongoThresholds, resolveThresholds } from './thresholds.js';
import type { MongoDataset } from './types.js';

/** Options of {@link analyzeMongo}. */
export interface MongoAnalysisOptions {
  /** Threshold overrides by name (see {@link MongoThresholds}). */
  thresholds?: Readonly<Record<string, unknown>>;
  /** Also produce TypeScript declarations for the inferred schemas. */
  typescript?: boolean;
  signal?: AbortSignal;
}

/** Everything one analysis produced. */
export interface MongoAnalysis {
  findings: Finding[];
  /** Report notes: source limits, server-side optimizations, rules that could not run. */
  notes: string[];
  schemas: CollectionSchema[];
  /** `$jsonSchema` validator per collection. */
  validators: Map<string, Record<string, unknown>>;
  relationships: Relationship[];
  dryRuns: PipelineDryRun[];
  typescript?: string;
  thresholds: MongoThresholds;
}

/**
 * Runs every MongoDB check on a dataset (live or offline): schema inference, anti-patterns, modelling advice,
 * query and pipeline lint with ESR index advice, and dry runs. A check that throws is reported as a note and
 * the others still run (a slow or broken check degrades, it does not fail the report).
 */
export async function analyzeMongo(dataset: MongoDataset, options: MongoAnalysisOptions = {}): Promise<MongoAnalysis> {
  const thresholds = resolveThresholds(options.thresholds);
  const notes: string[] = [...dataset.notes];
  const schemas = new Map<string, CollectionSchema>();
  const validators = new Map<string, Record<string, unknown>>();
  for (const coll of dataset.collections.values()) {
    options.signal?.throwIfAborted();
    if (coll.documents.length === 0) {
      notes.push(`${coll.name}: no documents sampled; schema checks skipped.`);
      continue;
    }
    schemas.set(coll.name, await inferSchema(coll.name, coll.documents));
    validators.set(coll.name, (await jsonSchemaValidator(coll.documents)) as Record<string, unknown>);
  }
  const findings: Finding[] = [];
  const run = (name: string, fn: () => Finding[]) => {
    try {
      findings.push(...fn());
    } catch (error) {
      notes.push(`check ${name} could not run: ${(error as Error).message}`);
    }
  };
  const ap: AntiPatternInput = { dataset, schemas, thresholds };
  const wl: WorkloadInput = { dataset, thresholds };
  run('mongo-schema', () => schemaFindings(dataset, schemas, validators));
  run('mongo-polymorphic-field', () => polymorphicFields(dataset, schemas));
  const arrays: Finding[] = [];
  run('mongo-unbounded-array', () => {
    arrays.push(...unboundedArrays(ap));
    return arrays;
  });
  run('mongo-large-document', () => largeDocuments(ap));
  run('mongo-too-many-indexes', () => tooManyIndexes(ap));
  run('mongo-too-many-collections', () => tooManyCollections(ap));
  run('mongo-unused-index', () => unusedIndexes(ap));
  run('mongo-redundant-index', () => redundantIndexes(ap));
  run('mongo-unindexed-query', () => unindexedQueries(wl));
  run('mongo-regex', () => regexQueries(wl));
  run('mongo-large-skip', () => largeSkips(wl));
  run('mongo-script-operator', () => scriptOperators(wl));
  run('mongo-heavy-lookup', () => heavyLookups(wl));
  run('mongo-lookup-unindexed-foreign-field', () => lookupUnindexed(wl));
  run('mongo-unwind-group-rebuild', () => unwindGroupRebuild(wl));
  run('mongo-unbounded-push', () => unboundedPush(wl));
  run('mongo-sort-without-limit', () => sortWithoutLimit(wl));
  run('mongo-stage-placement', () => stagePlacement(wl));
  let dryRuns: PipelineDryRun[] = [];
  run('mongo-dry-run', () => {
    dryRuns = dryRunAll(dataset);
    return dryRunFindings(dryRuns, wl);
  });
  let relationships: Relationship[] = [];
  run('mongo-model-advice', () => {
    relationships = findRelationships(dataset, schemas, thresholds);
    const growing = new Set(arrays.map((f) => `${f.evidence.collection}.${f.evidence.path}`));
    return modellingAdvice(dataset, relationships, growing, thresholds);
  });
  for (const op of dataset.operations) if (op.kind === 'aggregate') notes.push(...serverOptimizations(op));
  const schemaList = [...schemas.values()];
  return {
    findings: sortFindings(findings),
    notes,
    schemas: schemaList,
    validators,
    relationships,
    dryRuns,
    ...(options.typescript ? { typescript: typescriptDeclarations(schemaList) } : {}),
    thresholds,
  };
}
