import type { LogicalModel, LogicalTable } from '../model/resolve.js';
import { singular } from '../model/resolve.js';
import type { RelationshipSpec } from '../model/schema.js';

/**
 * Embed, reference or hybrid for one relationship. This is the single place the MongoDB side of design decides
 * how related data is stored; it follows the modelling rules of thumb MongoDB publishes (William Zola, "6 Rules of
 * Thumb for MongoDB Schema Design", 2014; MongoDB's "Building with Patterns" series): one-to-few embeds,
 * one-to-many references from the child (or an array of ids), one-to-squillions always references the parent
 * from the child, data read together is stored together, and a child that is read on its own or belongs to
 * more than one parent keeps its own collection. Hybrid keeps the child collection and embeds a bounded
 * subset or a few duplicated fields in the parent (the subset / extended-reference patterns).
 *
 * When the MongoDB modelling rules (`src/mongo`) expose their relationship advice, this function becomes a call
 * to it; its callers do not change.
 */
export function adviseRelationship(rel: RelationshipSpec, index: number, logical: LogicalModel): EmbeddingAdvice {
  const to = logical.table(rel.to)!;
  const card = cardinalityClass(rel, to);
  const readTogether = logical.patterns.some((p) => p.table.name === rel.from && p.spec.with.includes(rel.to));
  const readAlone = logical.patterns.some(
    (p) => p.table.name === rel.to && p.spec.kind === 'read' && !onlyByParent(p.spec.filters, rel, to),
  );
  const otherParents = logical.model.relationships.filter(
    (r, i) => i !== index && r.type !== 'N:M' && r.to === rel.to,
  ).length;
  const hasChildren = logical.model.relationships.some(
    (r) => r.from === rel.to || (r.type === 'N:M' && r.to === rel.to),
  );
  const base = { relationship: rel, index, cardinality: card };

  if (rel.type === 'N:M') {
    const link = Object.keys(rel.fields).length > 0 ? ' with the link attributes' : '';
    const fromMax = rel.cardinality?.max;
    const toMax = rel.cardinality?.reverseMax;
    if (fromMax !== undefined && fromMax <= FEW_MAX) {
      return {
        ...base,
        decision: 'embed',
        holder: rel.from,
        field: rel.to,
        rule: 'one-to-few side of N:M',
        because: `each ${singular(rel.from)} has at most ${fromMax} ${rel.to}: an array of references${link} inside ${rel.from} is read in one document; ${rel.to} stay their own collection`,
        tradeOff: `finding the ${rel.from} of one ${singular(rel.to)} needs a multikey index on the array`,
      };
    }
    if (toMax !== undefined && toMax <= FEW_MAX) {
      return {
        ...base,
        decision: 'embed',
        holder: rel.to,
        field: rel.from,
        rule: 'one-to-few side of N:M',
        because: `each ${singular(rel.to)} belongs to at most ${toMax} ${rel.from}: an array of references${link} inside ${rel.to}`,
        tradeOff: `listing the ${rel.to} of one ${singular(rel.from)} needs a multikey index on the array`,
      };
    }
    return {
      ...base,
      decision: 'reference',
      holder: rel.through ?? `${rel.from}_${rel.to}`,
      field: null,
      rule: 'unbounded N:M',
      because: 'both sides can grow without a bound: a link collection (one document per link) keeps documents small',
      tradeOff: 'reading either side with its links is a second query or a $lookup',
    };
  }

  if (card === 'few' && otherParents === 0 && !readAlone && !hasChildren) {
    return {
      ...base,
      decision: 'embed',
      holder: rel.from,
      field: rel.to,
      rule: rel.type === '1:1' ? 'one-to-one read together' : 'one-to-few',
      because: `${rel.to} ${rel.type === '1:1' ? 'is one sub-document' : `are few per ${singular(rel.from)}`} and never read without their ${singular(rel.from)}: embed them (one read, atomic writes)`,
      tradeOff: `${rel.to} cannot be queried across ${rel.from} without unwinding`,
    };
  }
  const why: string[] = [];
  if (card === 'squillions') why.push(`${rel.to} per ${singular(rel.from)} are unbounded (one-to-squillions)`);
  else if (card === 'many') why.push(`${rel.to} per ${singular(rel.from)} can be many (one-to-many)`);
  if (readAlone) why.push(`${rel.to} are read on their own`);
  if (otherParents > 0) why.push(`${rel.to} also belong to another parent`);
  if (hasChildren) why.push(`${rel.to} have children of their own`);
  if (readTogether && card !== 'squillions') {
    return {
      ...base,
      decision: 'hybrid',
      holder: rel.to,
      field: rel.to,
      rule: 'subset pattern',
      because: `${why.join('; ')}, but ${rel.from} are read with their ${rel.to}: keep ${rel.to} as a collection referencing its ${singular(rel.from)} and embed a bounded subset (the most recent) in ${rel.from}`,
      tradeOff: `each write to ${rel.to} also updates the subset in ${rel.from}`,
    };
  }
  return {
    ...base,
    decision: 'reference',
    holder: rel.to,
    field: null,
    rule: card === 'squillions' ? 'one-to-squillions: child references parent' : 'child references parent',
    because: `${why.join('; ') || `${rel.to} are managed on their own`}: ${rel.to} keep their own collection with a reference to their ${singular(rel.from)}`,
    tradeOff: `reading a ${singular(rel.from)} with its ${rel.to} is a second query or a $lookup (indexed)`,
  };
}

/** How many related documents per parent. */
export type CardinalityClass = 'few' | 'many' | 'squillions';

/** One-to-few: at most this many children (MongoDB's rule of thumb speaks of "a few"; arrays stay small). */
export const FEW_MAX = 100;
/** Above this many children per parent, the relationship is one-to-squillions. */
export const SQUILLIONS_MIN = 10_000;

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
  rule: string;
  because: string;
  tradeOff: string;
}

function cardinalityClass(rel: RelationshipSpec, child: LogicalTable): CardinalityClass {
  if (rel.type === '1:1') return 'few';
  const max = rel.cardinality?.max;
  const avg = rel.cardinality?.average;
  if (max !== undefined) return max <= FEW_MAX ? 'few' : max < SQUILLIONS_MIN ? 'many' : 'squillions';
  if (child.entity?.volume?.appendOnly) return 'squillions';
  if (avg !== undefined && avg > SQUILLIONS_MIN / 10) return 'squillions';
  // No upper bound given: an array that can grow without limit is not embedded.
  return 'many';
}

function onlyByParent(
  filters: readonly { field?: string | undefined }[],
  rel: RelationshipSpec,
  child: LogicalTable,
): boolean {
  const fk = child.foreignKeys.find((f) => f.relationship === rel);
  return filters.length > 0 && filters.every((f) => f.field !== undefined && fk?.columns.includes(f.field));
}
