import { modellingAdvice } from '../../mongo/modelling.js';
import { cardinalityOf, type Relationship } from '../../mongo/relationships.js';
import { DEFAULT_MONGO_THRESHOLDS, type MongoThresholds } from '../../mongo/thresholds.js';
import type { MongoDataset, MongoOperation } from '../../mongo/types.js';
import type { LogicalModel, LogicalPattern } from '../model/resolve.js';
import { singular } from '../model/resolve.js';
import { parseFrequency, type RelationshipSpec } from '../model/schema.js';

/** How many related documents per parent (Zola's one-to-few / many / squillions). */
export type CardinalityClass = 'few' | 'many' | 'squillions';

/** What design decided for one relationship. */
export interface EmbeddingAdvice {
  relationship: RelationshipSpec;
  index: number;
  decision: 'embed' | 'reference' | 'hybrid';
  /** The collection that holds the embedded array or the reference. */
  holder: string;
  /** The embedded field name, for embed/hybrid. */
  field: string | null;
  cardinality: CardinalityClass;
  /** The rule behind it: `mongo-model-advice` (the MongoDB modelling rules) or a design-time rule id. */
  ruleId: string;
  rule: string;
  because: string;
  tradeOff: string;
}

/** Length assumed for an array whose relationship gives no upper bound: it can grow without one. */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/**
 * Embed, reference or hybrid for one relationship. Two design-time facts come first, because a document can only
 * live in one place: a child that belongs to two parents, or that has children of its own, keeps its own
 * collection. Everything else is decided by the MongoDB modelling rules (`src/mongo/modelling.ts`, MongoDB's rules
 * of thumb: one-to-few embeds, one-to-many that grows or is read on its own becomes the subset pattern,
 * one-to-squillions references the parent from the child) applied to the relationship as it would look embedded:
 * an array whose length is the model's cardinality, read and appended as the access patterns say.
 */
export function adviseRelationship(
  rel: RelationshipSpec,
  index: number,
  logical: LogicalModel,
  thresholds: MongoThresholds = DEFAULT_MONGO_THRESHOLDS,
): EmbeddingAdvice {
  const max = rel.cardinality?.max;
  const child = logical.table(rel.to)!;
  const unbounded = max === undefined || child.entity?.volume?.appendOnly === true;
  const length = max ?? UNBOUNDED;
  const card: CardinalityClass = rel.type === '1:1' ? 'few' : cardinalityOf(length, thresholds);
  const base = { relationship: rel, index, cardinality: card };

  if (rel.type === 'N:M') return adviseManyToMany(rel, index, logical, thresholds);

  const otherParents = logical.model.relationships.filter((r, i) => i !== index && r.type !== 'N:M' && r.to === rel.to);
  const hasChildren = logical.model.relationships.some((r) => r.from === rel.to && r.type !== 'N:M');
  if (otherParents.length > 0 || hasChildren) {
    const why = [
      ...otherParents.map((r) => `${rel.to} also belong to ${r.from}`),
      ...(hasChildren ? [`${rel.to} have children of their own`] : []),
    ];
    return {
      ...base,
      decision: 'reference',
      holder: rel.to,
      field: null,
      ruleId: 'mongo-shared-child',
      rule: 'shared child: child references parent',
      because: `${why.join('; ')}: a document lives in one place, so ${rel.to} keep their own collection with a reference to their ${singular(rel.from)}`,
      tradeOff: `reading a ${singular(rel.from)} with its ${rel.to} is a second query or a $lookup on an indexed ${singular(rel.from)}_id`,
    };
  }

  const relationship: Relationship = {
    kind: 'embedded',
    collection: rel.from,
    path: rel.to,
    lengths: {
      p50: Math.round(rel.cardinality?.average ?? Math.min(length, thresholds.fewMax)),
      p95: length,
      max: length,
      documents: 1,
    },
    cardinality: card,
    denormalized: [],
  };
  const dataset = datasetFor(rel, logical);
  const growing = new Set(unbounded && rel.type !== '1:1' ? [`${rel.from}.${rel.to}`] : []);
  const finding = modellingAdvice(dataset, [relationship], growing, thresholds)[0]!;
  const advice = finding.evidence.advice as string;
  const rule = String(finding.evidence.ruleOfThumb);
  const tradeOff = String(finding.evidence.tradeOff);
  const ruleId = 'mongo-model-advice';
  if (advice === 'embed') {
    return { ...base, decision: 'embed', holder: rel.from, field: rel.to, ruleId, rule, because: rule, tradeOff };
  }
  if (advice === 'hybrid') {
    return { ...base, decision: 'hybrid', holder: rel.to, field: rel.to, ruleId, rule, because: rule, tradeOff };
  }
  return { ...base, decision: 'reference', holder: rel.to, field: null, ruleId, rule, because: rule, tradeOff };
}

/** The model's access patterns as the MongoDB operations they would be if `rel.to` were embedded in `rel.from`. */
function datasetFor(rel: RelationshipSpec, logical: LogicalModel): MongoDataset {
  const ops: MongoOperation[] = [];
  const child = logical.table(rel.to)!;
  const fk = child.foreignKeys.find((f) => f.relationship === rel)?.columns[0];
  const freq = (p: LogicalPattern) =>
    p.spec.frequency === undefined ? 1 : Math.max(1e-6, parseFrequency(p.spec.frequency) ?? 1);
  for (const p of logical.patterns) {
    const origin = { file: 'dbsage.model.yaml', line: 0 };
    if (p.table.name === rel.from && p.spec.kind === 'read') {
      ops.push({ collection: rel.from, kind: 'find', filter: {}, frequency: freq(p), name: p.spec.name, origin });
    }
    if (p.table.name === rel.to && p.spec.kind === 'read') {
      // Reading children by their parent is reading the parent; any other filter reaches elements on their own.
      const own = p.spec.filters.filter((f) => f.field !== fk);
      const filter = Object.fromEntries(own.map((f) => [`${rel.to}.${f.field ?? 'expr'}`, 1]));
      ops.push({
        collection: rel.from,
        kind: 'find',
        filter: own.length > 0 || p.spec.filters.length === 0 ? { ...filter, [`${rel.to}._id`]: 1 } : {},
        frequency: freq(p),
        name: p.spec.name,
        origin,
      });
    }
    if (p.table.name === rel.to && p.spec.kind === 'insert') {
      ops.push({
        collection: rel.from,
        kind: 'update',
        update: { $push: { [rel.to]: {} } },
        frequency: freq(p),
        name: p.spec.name,
        origin,
      });
    }
  }
  return { database: logical.model.name, mode: 'offline', collections: new Map(), operations: ops, notes: [] };
}

/**
 * N:M: an array of references (with the link's attributes) in the side whose count per document is bounded, or a
 * link collection when both sides are unbounded — the MongoDB rules for reference arrays decide.
 */
function adviseManyToMany(
  rel: RelationshipSpec,
  index: number,
  logical: LogicalModel,
  thresholds: MongoThresholds,
): EmbeddingAdvice {
  const link = Object.keys(rel.fields).length > 0 ? ' with the link attributes' : '';
  const sides = [
    { holder: rel.from, other: rel.to, max: rel.cardinality?.max },
    { holder: rel.to, other: rel.from, max: rel.cardinality?.reverseMax },
  ].filter((s) => s.max !== undefined && cardinalityOf(s.max, thresholds) !== 'squillions');
  sides.sort((a, b) => a.max! - b.max!);
  const side = sides[0];
  if (side) {
    const relationship: Relationship = {
      kind: 'reference-array',
      collection: side.holder,
      path: side.other,
      target: side.other,
      lengths: { p50: side.max!, p95: side.max!, max: side.max!, documents: 1 },
      cardinality: cardinalityOf(side.max!, thresholds),
      // Shared by construction: each referenced document belongs to many holders.
      fanIn: { average: 2, max: 2 },
      denormalized: [],
    };
    const finding = modellingAdvice(
      { database: logical.model.name, mode: 'offline', collections: new Map(), operations: [], notes: [] },
      [relationship],
      new Set(),
      thresholds,
    )[0]!;
    return {
      relationship: rel,
      index,
      decision: 'embed',
      holder: side.holder,
      field: side.other,
      cardinality: relationship.cardinality!,
      ruleId: 'mongo-model-advice',
      rule: String(finding.evidence.ruleOfThumb),
      because: `each ${singular(side.holder)} links to at most ${side.max} ${side.other}: an array of references${link} in ${side.holder}. ${String(finding.evidence.ruleOfThumb)}`,
      tradeOff: `${String(finding.evidence.tradeOff)} Listing the ${side.holder} of one ${singular(side.other)} needs a multikey index on the array.`,
    };
  }
  return {
    relationship: rel,
    index,
    decision: 'reference',
    holder: rel.through ?? `${rel.from}_${rel.to}`,
    field: null,
    cardinality: 'squillions',
    ruleId: 'mongo-link-collection',
    rule: 'unbounded N:M: one document per link',
    because: `neither side has a small upper bound (cardinality max / reverseMax): a link collection, one document per link${link}, keeps documents small`,
    tradeOff: 'reading either side with its links is a second query or a $lookup on the indexed link fields',
  };
}
