import { detectCapabilities } from '../../engines/postgres/capabilities.js';
import { UsageError } from '../../errors.js';
import { createAnalyzerContext } from '../../findings/context.js';
import { discoverAnalyzers } from '../../findings/discover.js';
import { diagnose } from '../../query/diagnose/diagnose.js';
import { isSymptom, SYMPTOM_PLANS, SYMPTOMS } from '../../query/diagnose/symptoms.js';
import { loadParser } from '../../sql/parser.js';
import { readPgStatStatements } from '../../workload/pg-stat-statements.js';
import { EMPTY_WORKLOAD } from '../../workload/types.js';
import type { CommandModule } from '../command.js';
import { progress } from '../io.js';
import {
  addOutputOptions,
  addTargetOptions,
  emitReport,
  type OutputFlags,
  type TargetFlags,
  withClient,
} from '../shared.js';

/**
 * `dbsage diagnose <symptom> [target]`: runs the checks that explain a classic symptom and prints the causes
 * ranked by evidence, each with its fix.
 */
export const command: CommandModule = {
  name: 'diagnose',
  order: 20,
  register(program, ctx) {
    addOutputOptions(
      addTargetOptions(
        program
          .command('diagnose')
          .description(`rank the causes of a symptom: ${SYMPTOMS.join(', ')}`)
          .argument('<symptom>', SYMPTOMS.map((s) => `${s} (${SYMPTOM_PLANS[s].description})`).join('; '))
          .argument('[target]', 'postgres:// URL (default: DATABASE_URL or PG* environment)'),
      ),
    ).action(async (symptom: string, target: string | undefined, flags: OutputFlags & TargetFlags) => {
      if (!isSymptom(symptom)) throw new UsageError(`unknown symptom "${symptom}": one of ${SYMPTOMS.join(', ')}`);
      await loadParser();
      const bar = progress(ctx.io, Boolean(flags.quiet));
      const result = await withClient(target, flags, async (client) => {
        const capabilities = await client.transaction((tx) => detectCapabilities(tx));
        const context = createAnalyzerContext({
          client,
          capabilities,
          loadWorkload: async () =>
            capabilities.hasPgStatStatements ? readPgStatStatements(client, { capabilities }) : EMPTY_WORKLOAD,
          log: (m) => bar.update(m),
        });
        const d = await diagnose(symptom, context, await discoverAnalyzers());
        bar.done();
        return { d, description: client.description };
      });
      const { d } = result;
      const ranked = d.causes.map((c, i) => ({
        ...c.finding,
        evidence: { causeRank: i + 1, score: Math.round(c.score * 100) / 100, ...c.finding.evidence },
      }));
      const notes = [
        `${symptom}: ${SYMPTOM_PLANS[symptom].description}`,
        ...(ranked.length
          ? [
              `causes ranked by evidence: ${ranked
                .slice(0, 5)
                .map((f, i) => `${i + 1}. ${f.title}`)
                .join(' | ')}`,
            ]
          : []),
        ...d.notes,
        ...(d.missing.length ? [`checks not available in this build: ${d.missing.join(', ')}`] : []),
      ];
      ctx.setExitCode(
        emitReport(
          {
            title: `dbsage diagnose ${symptom}`,
            target: result.description,
            findings: ranked,
            outcomes: d.outcomes,
            notes,
          },
          flags,
          ctx.io,
        ),
      );
    });
  },
};
