import { BORING_DEFAULT, ENGINE_IDS, ENGINES, type EngineId } from './engines.js';
import { type Answers, answered, answerLabel, QUESTIONS, question, withDefaults } from './questions.js';
import { RULES } from './rules.js';

/** One reason for or against an engine, tied to the answer it rests on. */
export interface RankReason {
  points: number;
  because: string;
  /** `data shape: timestamped measurements or events`. */
  answer: string;
  question: string;
}

/** One ranked engine. */
export interface RankedEngine {
  id: EngineId;
  /** Display name; PostgreSQL carries the extensions that cover the needs (`PostgreSQL + TimescaleDB`). */
  name: string;
  score: number;
  reasons: RankReason[];
  /** PostgreSQL only: the extensions/features the answers call for. */
  extensions: string[];
}

/** A different answer that would put another engine first. */
export interface ChangeOfCall {
  question: string;
  /** The alternative answer, as `topic: label`. */
  answer: string;
  value: string;
  /** Who would rank first then. */
  engine: EngineId;
  engineName: string;
}

/** The outcome of `choose`. */
export interface Choice {
  answers: Answers;
  ranking: RankedEngine[];
  /** The boring default and what the answers say about it. */
  boringDefault: { id: EngineId; name: string; rank: number; verdict: string };
  /** Single-answer changes that would change the top pick. */
  wouldChange: ChangeOfCall[];
  /** The runner-up, what speaks for it, and how far behind it is. */
  alternative: { id: EngineId; name: string; behind: number; because: string[] };
}

/** PostgreSQL features per need, for the display name. */
const PG_EXTENSIONS: [string, string, string][] = [
  ['data_shape', 'time-series', 'TimescaleDB'],
  ['needs', 'time-windows', 'TimescaleDB'],
  ['data_shape', 'vectors', 'pgvector'],
  ['needs', 'vector-similarity', 'pgvector'],
  ['needs', 'varying-attributes', 'jsonb'],
  ['data_shape', 'documents', 'jsonb'],
  ['needs', 'fuzzy-text', 'pg_trgm'],
  ['needs', 'geospatial', 'PostGIS'],
  ['data_shape', 'text', 'full-text search (tsvector)'],
  ['needs', 'relevance-search', 'full-text search (tsvector)'],
];

function scoreAll(answers: Answers): RankedEngine[] {
  const ranked = ENGINE_IDS.map(
    (id): RankedEngine => ({ id, name: ENGINES[id].name, score: ENGINES[id].base, reasons: [], extensions: [] }),
  );
  const byId = new Map(ranked.map((e) => [e.id, e]));
  for (const rule of RULES) {
    if (!answered(answers, rule.question, rule.value)) continue;
    if (rule.when && !rule.when(answers)) continue;
    for (const [id, effect] of Object.entries(rule.effects)) {
      const e = byId.get(id as EngineId)!;
      e.score += effect!.points;
      e.reasons.push({
        points: effect!.points,
        because: effect!.because,
        answer: answerLabel(rule.question, rule.value),
        question: rule.question,
      });
    }
  }
  const pg = byId.get('postgresql')!;
  for (const [q, v, ext] of PG_EXTENSIONS)
    if (answered(answers, q, v) && !pg.extensions.includes(ext)) pg.extensions.push(ext);
  if (pg.extensions.length > 0) pg.name = `PostgreSQL + ${pg.extensions.join(', ')}`;
  for (const e of ranked) e.reasons.sort((a, b) => Math.abs(b.points) - Math.abs(a.points));
  // Ties go to the boring default, then to catalogue order (stable sort).
  return ranked.sort((a, b) => b.score - a.score || Number(b.id === BORING_DEFAULT) - Number(a.id === BORING_DEFAULT));
}

/**
 * Ranks the engines for a set of answers (unanswered questions take their defaults), calls out the boring default
 * and computes what would change the call: every single-answer change that puts another engine first.
 */
export function choose(input: Answers): Choice {
  const answers = withDefaults(input);
  const ranking = scoreAll(answers);
  const top = ranking[0]!;
  const pgRank = ranking.findIndex((e) => e.id === BORING_DEFAULT) + 1;
  const pg = ranking[pgRank - 1]!;
  let verdict: string;
  if (pgRank === 1) {
    verdict = `the boring default is the call: ${pg.reasons
      .filter((r) => r.points > 0)
      .slice(0, 2)
      .map((r) => r.because)
      .join('; ')}`;
  } else {
    const against = pg.reasons.filter((r) => r.points < 0).slice(0, 2);
    const forTop = top.reasons.filter((r) => r.points > 0).slice(0, 2);
    verdict = `${top.name} beats the boring default by ${top.score - pg.score} points: ${forTop
      .map((r) => `${r.because} (${r.answer})`)
      .join('; ')}${against.length ? `; against PostgreSQL: ${against.map((r) => r.because).join('; ')}` : ''}`;
  }
  const wouldChange: ChangeOfCall[] = [];
  for (const qq of QUESTIONS) {
    for (const c of qq.choices) {
      const current = answers[qq.id];
      if (qq.multiple) {
        // For multi-select: adding or removing one need.
        const list = Array.isArray(current) ? [...current] : [String(current)];
        if (c.value === 'none') continue;
        const next = list.includes(c.value)
          ? list.filter((v) => v !== c.value)
          : [...list.filter((v) => v !== 'none'), c.value];
        const alt = scoreAll({ ...answers, [qq.id]: next.length ? next : ['none'] })[0]!;
        if (alt.id !== top.id) {
          wouldChange.push({
            question: qq.id,
            value: c.value,
            answer: `${list.includes(c.value) ? 'without' : 'with'} ${answerLabel(qq.id, c.value)}`,
            engine: alt.id,
            engineName: alt.name,
          });
        }
        continue;
      }
      if (c.value === current) continue;
      const alt = scoreAll({ ...answers, [qq.id]: c.value })[0]!;
      if (alt.id !== top.id) {
        wouldChange.push({
          question: qq.id,
          value: c.value,
          answer: answerLabel(qq.id, c.value),
          engine: alt.id,
          engineName: alt.name,
        });
      }
    }
  }
  const second = ranking[1]!;
  const alternative = {
    id: second.id,
    name: second.name,
    behind: top.score - second.score,
    because: second.reasons
      .filter((r) => r.points > 0)
      .slice(0, 3)
      .map((r) => `${r.because} (${r.answer})`),
  };
  return {
    answers,
    ranking,
    boringDefault: { id: BORING_DEFAULT, name: pg.name, rank: pgRank, verdict },
    wouldChange,
    alternative,
  };
}

/** Topic of a question id (for renderers). */
export function topicOf(id: string): string {
  return question(id).topic;
}
