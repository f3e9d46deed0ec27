import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildDemoDatabase } from '../../demo/build.js';
import { replayDemoWorkload } from '../../demo/replay.js';
import { detectCapabilities } from '../../engines/postgres/capabilities.js';
import { EmbeddedClient } from '../../engines/postgres/embedded-client.js';
import { UsageError } from '../../errors.js';
import { createAnalyzerContext } from '../../findings/context.js';
import { discoverAnalyzers } from '../../findings/discover.js';
import { runAnalyzers } from '../../findings/registry.js';
import { renderMarkdown } from '../../report/markdown.js';
import type { CommandModule } from '../command.js';
import { progress } from '../io.js';
import { addOutputOptions, emitReport, type OutputFlags } from '../shared.js';

interface DemoFlags extends OutputFlags {
  scale: string;
  report: string;
}

/**
 * `dbsage demo`: the whole job on embedded PostgreSQL, no server needed — build a realistic SaaS database,
 * replay a workload with the classic problems, run every analyzer, print the report and write it as markdown.
 */
export const command: CommandModule = {
  name: 'demo',
  order: 1,
  register(program, ctx) {
    addOutputOptions(
      program
        .command('demo')
        .description('build a SaaS demo database in embedded PostgreSQL, replay a problem workload, and report')
        .option('--scale <n>', 'data scale (1 = 100k users, 500k orders)', '1')
        .option('--report <file>', 'markdown report file', 'dbsage-report.md'),
    ).action(async (flags: DemoFlags) => {
      const scale = Number(flags.scale);
      if (!Number.isFinite(scale) || scale <= 0 || scale > 20)
        throw new UsageError('--scale takes a number in (0, 20]');
      const bar = progress(ctx.io, Boolean(flags.quiet));
      const started = performance.now();
      bar.update('starting embedded PostgreSQL');
      const client = await EmbeddedClient.open();
      try {
        const counts = await buildDemoDatabase(
          (sql) => client.execWrite(sql),
          scale,
          (l, f) => bar.update(l, f),
        );
        // The demo's own database: start pg_stat_statements from the replay alone (dbsage never resets a user's).
        await client.execWrite('SELECT pg_stat_statements_reset()');
        const workload = await replayDemoWorkload(client, scale, (l, f) => bar.update(l, f));
        // One backend: flush its statistics so pg_stat_* reflect the replay.
        await client.execWrite('SELECT pg_stat_force_next_flush()');
        const capabilities = await client.transaction((tx) => detectCapabilities(tx));
        const analyzers = await discoverAnalyzers();
        const context = createAnalyzerContext({
          client,
          capabilities,
          loadWorkload: async () => workload,
          log: (m) => bar.update(m),
        });
        const outcomes = [];
        for (const [i, a] of analyzers.entries()) {
          bar.update(`analyzing: ${a.id}`, i / Math.max(1, analyzers.length));
          outcomes.push(...(await runAnalyzers([a], context)));
        }
        bar.done();
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        const report = {
          title: 'dbsage demo',
          target: client.description,
          findings: outcomes.flatMap((o) => o.findings),
          outcomes,
          notes: [
            `demo database at scale ${scale}: ${counts.users} users, ${counts.orders} orders; ${workload.statements.length} statement shapes replayed ${workload.read} times; ${analyzers.length} analyzers; ${seconds} s`,
          ],
        };
        writeFileSync(resolve(ctx.io.cwd, flags.report), renderMarkdown(report));
        ctx.setExitCode(emitReport(report, flags, ctx.io));
        if (!flags.quiet) ctx.io.stderr(`markdown report written to ${flags.report}\n`);
      } finally {
        await client.close();
      }
    });
  },
};
