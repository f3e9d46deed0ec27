import { answerLabel, QUESTIONS } from './questions.js';
import type { Choice } from './rank.js';

/** Output formats of `dbsage choose`. */
export const CHOOSE_FORMATS = ['tty', 'markdown', 'json'] as const;
export type ChooseFormat = (typeof CHOOSE_FORMATS)[number];

/** Runtime check for a choose format. */
export function isChooseFormat(value: unknown): value is ChooseFormat {
  return typeof value === 'string' && (CHOOSE_FORMATS as readonly string[]).includes(value);
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

/** Renders the ranking: engines with scores and reasons, the boring default, what would change the call. */
export function renderChoice(choice: Choice, format: ChooseFormat, top = 5): string {
  if (format === 'json') return `${JSON.stringify(choice, null, 2)}\n`;
  const md = format === 'markdown';
  const out: string[] = [];
  const h = (text: string) => (md ? `## ${text}` : text.toUpperCase());
  out.push(md ? '# dbsage choose' : 'dbsage choose', '');
  out.push(h('Ranking'), '');
  choice.ranking.slice(0, top).forEach((e, i) => {
    out.push(`${i + 1}. ${md ? `**${e.name}**` : e.name} — score ${e.score}`);
    for (const r of e.reasons.slice(0, 6)) {
      out.push(`   ${md ? '- ' : ''}${signed(r.points).padStart(md ? 0 : 3)} ${r.because} (${r.answer})`);
    }
  });
  const rest = choice.ranking.slice(top).map((e) => `${e.name} ${e.score}`);
  if (rest.length > 0) out.push('', `Also considered: ${rest.join(', ')}`);
  const alt = choice.alternative;
  out.push('', h('Alternative'), '');
  out.push(`${alt.name}, ${alt.behind} points behind: ${alt.because.join('; ') || 'no strong reason for it'}.`);
  const flips = choice.wouldChange.filter((c) => c.engine === alt.id);
  if (flips.length > 0) {
    const more = flips.length > 4 ? ` (and ${flips.length - 4} more changes)` : '';
    out.push(
      `It would come first ${flips
        .slice(0, 4)
        .map((c) => `if ${c.answer}`)
        .join(', or ')}${more}.`,
    );
  }
  out.push('', h('Boring default'), '');
  out.push(`${choice.boringDefault.name} ranks #${choice.boringDefault.rank}: ${choice.boringDefault.verdict}.`);
  out.push('', h('What would change the call'), '');
  if (choice.wouldChange.length === 0) {
    out.push(`No single different answer puts another engine first: ${choice.ranking[0]!.name} is a clear call.`);
  } else {
    for (const c of choice.wouldChange.slice(0, 8)) {
      out.push(`${md ? '- ' : '  '}if ${c.answer} → ${c.engineName}`);
    }
  }
  out.push('', h('Answers'), '');
  for (const q of QUESTIONS) {
    const v = choice.answers[q.id];
    const values = Array.isArray(v) ? v : [v as string];
    out.push(`${md ? '- ' : '  '}${values.map((x) => answerLabel(q.id, x)).join('; ')}`);
  }
  return `${out.join('\n')}\n`;
}
