import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option } from 'commander';
import { UsageError } from '../../errors.js';
import type { Finding } from '../../findings/finding.js';
import { type PlanInput, readPlanInput } from '../../query/explain/plan-input.js';
import { explainStatement } from '../../query/explain/run-explain.js';
import { comparePlans, renderComparison } from '../../query/plan/compare-plans.js';
import { analyzePlan, insightFindings } from '../../query/plan/plan-insights.js';
import type { Plan } from '../../query/plan/plan-node.js';
import { renderPlanTree } from '../../query/plan/render-plan-tree.js';
import { fingerprintSql, loadParser } from '../../sql/parser.js';
import type { CommandModule } from '../command.js';
import {
  addOutputOptions,
  addTargetOptions,
  emitReport,
  type OutputFlags,
  type TargetFlags,
  withClient,
} from '../shared.js';

interface ExplainFlags extends OutputFlags, TargetFlags {
  analyze?: boolean;
  param?: string[];
  set?: string[];
  allowVolatile?: boolean;
  save?: string;
  compare?: boolean;
  tree?: boolean;
}

const isUrl = (s: string) => /^postgres(ql)?:\/\//i.test(s);

function gucs(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set takes name=value, got "${v}"`);
    out[v.slice(0, eq).trim()] = v.slice(eq + 1).trim();
  }
  return out;
}

/**
 * `dbsage explain [target] <sql|FILE>`: plain EXPLAIN, or `--analyze` inside a read-only transaction that is
 * rolled back (refused for anything that could write); or reads a saved JSON/text plan. Prints the plan tree
 * and the insights ranked by the share of time each fix could save. `--compare A B` diffs two plans.
 */
export const command: CommandModule = {
  name: 'explain',
  order: 30,
  register(program, ctx) {
    addOutputOptions(
      addTargetOptions(
        program
          .command('explain')
          .description('explain a statement (or read a saved plan) and rank what would make it faster')
          .argument('<args...>', '[target] <sql|FILE>, or with --compare: [target] <A> <B>')
          .option('--analyze', 'run EXPLAIN (ANALYZE, BUFFERS) in a read-only transaction that is rolled back')
          .option('--param <value...>', 'values for $1, $2, … (strings; PostgreSQL casts them)')
          .option('--set <name=value...>', 'planner setting for this EXPLAIN only, e.g. --set work_mem=64MB')
          .option('--allow-volatile', 'let --analyze run volatile functions you know do not write')
          .option('--save <file>', 'write the JSON plan to a file (to compare later)')
          .option(
            '--compare',
            'compare two plans (saved files or statements): node types, join order, indexes, cost, time',
          )
          .addOption(new Option('--no-tree', 'leave out the plan tree')),
      ),
    ).action(async (args: string[], flags: ExplainFlags) => {
      await loadParser();
      const target = args.length > (flags.compare ? 2 : 1) && isUrl(args[0]!) ? args[0] : undefined;
      const inputs = (target ? args.slice(1) : args).map((a) => readPlanInput(a, ctx.io.cwd));
      const expected = flags.compare ? 2 : 1;
      if (inputs.length !== expected)
        throw new UsageError(
          flags.compare
            ? 'explain --compare takes two plans or statements: [target] <A> <B>'
            : 'explain takes one statement or plan: [target] <sql|FILE>',
        );
      const options = {
        analyze: Boolean(flags.analyze),
        ...(flags.param ? { params: flags.param } : {}),
        ...(flags.allowVolatile ? { allowVolatile: true } : {}),
        gucs: gucs(flags.set),
        ...(flags.statementTimeout ? { statementTimeoutMillis: Number(flags.statementTimeout) } : {}),
      };
      const needsDb = inputs.some((i) => i.kind === 'sql');
      const resolveAll = async (
        explain: (sql: string) => Promise<{ plan: Plan; json: unknown; mode: string }>,
      ): Promise<{ plan: Plan; json: unknown; mode: string; input: PlanInput }[]> => {
        const out = [];
        for (const input of inputs) {
          if (input.kind === 'plan') out.push({ plan: input.plan, json: input.json, mode: 'saved', input });
          else out.push({ ...(await explain(input.sql)), input });
        }
        return out;
      };
      let description = 'saved plan';
      const plans = needsDb
        ? await withClient(target, flags, async (client) => {
            description = client.description;
            return resolveAll((sql) => explainStatement(client, sql, options));
          })
        : await resolveAll(async () => {
            throw new UsageError('no database');
          });
      if (flags.save) {
        const json = plans[plans.length - 1]!.json;
        if (json === null) throw new UsageError('--save writes JSON plans; this plan was read from text');
        writeFileSync(resolve(ctx.io.cwd, flags.save), `${JSON.stringify(json, null, 2)}\n`);
      }
      const notes: string[] = [];
      let findings: Finding[] = [];
      if (flags.compare) {
        const cmp = comparePlans(plans[0]!.plan, plans[1]!.plan);
        notes.push(`comparison (A ⇒ B):\n${renderComparison(cmp)}`);
      }
      const last = plans[plans.length - 1]!;
      const fp = last.input.kind === 'sql' ? fingerprintSql(last.input.sql) : undefined;
      const analysis = analyzePlan(last.plan, fp ? { statementFingerprint: fp } : {});
      findings = insightFindings(analysis, fp ? { statementFingerprint: fp } : {});
      if (last.mode === 'generic')
        notes.push('generic plan: the statement has $n placeholders and no --param values, so nothing ran');
      if (!last.plan.analyzed) notes.push('plain EXPLAIN: estimates only; --analyze measures (read-only, rolled back)');
      const tree = flags.tree === false ? '' : renderPlanTree(analysis);
      if (tree && (flags.format ?? 'tty') === 'tty' && !flags.output) ctx.io.stdout(`${tree}\n\n`);
      else if (tree) notes.push(`plan:\n${tree}`);
      ctx.setExitCode(
        emitReport(
          {
            title: flags.compare ? 'dbsage explain --compare' : 'dbsage explain',
            target: description,
            findings,
            notes,
          },
          flags,
          ctx.io,
        ),
      );
    });
  },
};
