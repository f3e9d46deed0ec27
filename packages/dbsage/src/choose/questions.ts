/**
 * The `dbsage choose` questionnaire: a dozen questions an experienced engineer asks before naming a database —
 * data shape, special needs, access patterns and query flexibility, transactions and consistency, write rate and
 * pattern, retention, size, latency, scale-out, durability and operations appetite. Each answer has a stable
 * value (used in answer files) and a label (used in prompts and in the reasons of the ranking).
 */

/** One choice of a question. */
export interface Choice {
  value: string;
  label: string;
}

/** One question. */
export interface Question {
  id: string;
  /** The prompt. */
  text: string;
  /** Short name used in reasons ("data shape"). */
  topic: string;
  choices: readonly Choice[];
  /** Several choices allowed (a list in the answers file). */
  multiple: boolean;
  /** Default value(s) when unanswered (with --yes). */
  default: string | readonly string[];
}

const q = (
  id: string,
  topic: string,
  text: string,
  choices: [string, string][],
  def: string | string[],
  multiple = false,
): Question => ({
  id,
  topic,
  text,
  choices: choices.map(([value, label]) => ({ value, label })),
  multiple,
  default: def,
});

/** The questions, in the order they are asked. */
export const QUESTIONS: readonly Question[] = [
  q(
    'data_shape',
    'data shape',
    'What does the data mostly look like?',
    [
      ['relational', 'entities with relationships between them (users, orders, invoices)'],
      ['documents', 'self-contained documents with nested parts and varying attributes'],
      ['key-value', 'opaque values looked up by a key (sessions, tokens, blobs)'],
      ['time-series', 'timestamped measurements or events'],
      ['graph', 'highly connected data where the relationships are the point'],
      ['text', 'text documents searched by relevance'],
      ['vectors', 'embeddings searched by similarity'],
    ],
    'relational',
  ),
  q(
    'needs',
    'special needs',
    'Which of these does the application need? (several allowed)',
    [
      ['varying-attributes', 'attributes that vary per record (product specs, settings)'],
      ['fuzzy-text', 'substring, prefix or typo-tolerant search on names'],
      ['relevance-search', 'ranked full-text search with stemming, facets and highlighting'],
      ['vector-similarity', 'nearest-neighbour search on embeddings'],
      ['geospatial', 'geographic queries (near, within, distance)'],
      ['multi-hop', 'traversals of several hops (friends of friends, paths)'],
      ['time-windows', 'aggregates over time windows (per minute, per day)'],
      ['analytics', 'ad-hoc aggregates scanning large parts of the data'],
      ['counters', 'counters, leaderboards, rate limits updated constantly'],
      ['none', 'none of these'],
    ],
    ['none'],
    true,
  ),
  q(
    'access',
    'query flexibility',
    'How is the data accessed?',
    [
      ['key-lookups', 'always by a known key (get/put by id)'],
      ['known-patterns', 'a handful of query shapes known up front'],
      ['ad-hoc', 'flexible queries: joins, filters on any column, reporting'],
    ],
    'ad-hoc',
  ),
  q(
    'transactions',
    'transactions',
    'Do writes need transactions?',
    [
      ['multi-record', 'yes, across several records or tables (money, inventory)'],
      ['single-record', 'only atomic updates of one record or document'],
      ['none', 'no'],
    ],
    'multi-record',
  ),
  q(
    'consistency',
    'consistency',
    'What consistency do readers need?',
    [
      ['strong', 'strong: every read sees the latest committed write'],
      ['read-your-writes', 'read-your-writes is enough'],
      ['eventual', 'eventual consistency is fine'],
    ],
    'strong',
  ),
  q(
    'write_rate',
    'write rate',
    'Peak writes per second?',
    [
      ['low', 'under 1,000/s'],
      ['medium', '1,000–20,000/s'],
      ['high', '20,000–200,000/s'],
      ['very-high', 'over 200,000/s'],
    ],
    'low',
  ),
  q(
    'write_pattern',
    'write pattern',
    'How is data written?',
    [
      ['mixed', 'inserts, updates and deletes'],
      ['append-only', 'appended and rarely changed (events, metrics, logs)'],
      ['read-mostly', 'written rarely, read a lot'],
    ],
    'mixed',
  ),
  q(
    'retention',
    'retention',
    'How long is data kept?',
    [
      ['forever', 'kept indefinitely'],
      ['months', 'expired or downsampled after weeks or months'],
      ['ephemeral', 'minutes to hours (sessions, caches)'],
    ],
    'forever',
  ),
  q(
    'data_size',
    'data size',
    'How much data in two years?',
    [
      ['small', 'under 50 GB'],
      ['medium', '50 GB – 2 TB'],
      ['large', '2 – 20 TB'],
      ['very-large', 'over 20 TB'],
    ],
    'small',
  ),
  q(
    'latency',
    'latency target',
    'Read latency target at p99?',
    [
      ['relaxed', 'hundreds of milliseconds are fine'],
      ['interactive', 'tens of milliseconds'],
      ['sub-ms', 'under a millisecond'],
    ],
    'interactive',
  ),
  q(
    'scale_out',
    'scale-out',
    'Where does it have to run?',
    [
      ['single', 'one primary (with a standby) is enough'],
      ['read-replicas', 'one primary, reads spread over replicas'],
      ['multi-region-writes', 'writes in several regions or across many nodes'],
    ],
    'single',
  ),
  q(
    'durability',
    'durability',
    'What if recent writes are lost?',
    [
      ['must-not-lose', 'unacceptable'],
      ['can-rebuild', 'acceptable: the data can be rebuilt from elsewhere'],
    ],
    'must-not-lose',
  ),
  q(
    'operations',
    'operations appetite',
    'How much database operations can the team take on?',
    [
      ['minimal', 'minimal: a managed service, one database, nothing exotic'],
      ['one', 'can run one database well'],
      ['several', 'a platform team that can run several specialised systems'],
    ],
    'minimal',
  ),
  q(
    'team_knows',
    'team experience',
    'Which database does the team already run well?',
    [
      ['none', 'none in particular'],
      ['postgresql', 'PostgreSQL'],
      ['mysql', 'MySQL'],
      ['mongodb', 'MongoDB'],
    ],
    'none',
  ),
];

/** Answers: question id → value (or values for multi-select questions). */
export type Answers = Readonly<Record<string, string | readonly string[]>>;

/** The question with an id. */
export function question(id: string): Question {
  const found = QUESTIONS.find((x) => x.id === id);
  if (!found) throw new Error(`unknown question ${id}`);
  return found;
}

/** True when the answer to `id` is (or includes) `value`. */
export function answered(answers: Answers, id: string, value: string): boolean {
  const a = answers[id];
  return Array.isArray(a) ? a.includes(value) : a === value;
}

/** The label of an answer, for reasons: `data shape: timestamped measurements or events`. */
export function answerLabel(id: string, value: string): string {
  const qq = question(id);
  return `${qq.topic}: ${qq.choices.find((c) => c.value === value)?.label ?? value}`;
}

/** Fills unanswered questions with their defaults. */
export function withDefaults(answers: Answers): Answers {
  const out: Record<string, string | readonly string[]> = {};
  for (const qq of QUESTIONS) out[qq.id] = answers[qq.id] ?? qq.default;
  return out;
}
