import { readdirSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { DbsageError } from '../errors.js';
import { redactText } from '../util/redact.js';
import type { CliContext, CommandModule } from './command.js';
import { type CliIO, processIO } from './io.js';

/**
 * Loads command modules. Each file is named after its command, so a run of one command imports only that
 * module (start-up stays fast: `dbsage lint` in CI does not load the advisor or the MongoDB driver); help and
 * unknown commands load them all.
 */
async function loadCommands(argv: readonly string[]): Promise<CommandModule[]> {
  const dir = new URL('./commands/', import.meta.url);
  let files = readdirSync(dir)
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !/\.test\.(js|ts)$/.test(f))
    .sort();
  const first = argv.find((a) => !a.startsWith('-'));
  const wanted = first === 'help' ? undefined : first;
  const only = wanted ? files.filter((f) => f.replace(/\.(js|ts)$/, '') === wanted) : [];
  if (only.length === 1) files = only;
  const modules: CommandModule[] = [];
  for (const file of files) {
    const mod = (await import(new URL(file, dir).href)) as { command?: CommandModule };
    if (mod.command) modules.push(mod.command);
  }
  return modules.sort((a, b) => (a.order ?? 100) - (b.order ?? 100) || a.name.localeCompare(b.name));
}

/** Formats an error for the one-line CLI message (exit code 2). */
export function formatError(error: unknown, debug: boolean): string {
  if (debug && error instanceof Error) {
    const chain: string[] = [redactText(error.stack ?? error.message)];
    let cause = error.cause;
    while (cause instanceof Error) {
      chain.push(`caused by: ${redactText(cause.stack ?? cause.message)}`);
      cause = cause.cause;
    }
    return chain.join('\n');
  }
  if (error instanceof DbsageError) return `dbsage: ${redactText(error.message)}`;
  if (error instanceof Error) return `dbsage: ${redactText(error.message)}`;
  return `dbsage: ${redactText(String(error))}`;
}

/**
 * Runs the CLI and resolves to the exit code: 0 ok, 1 findings at or above `--fail-on`, 2 usage, input or
 * connection error. Never throws and never prints a raw stack trace without `--debug`.
 */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let exitCode = 0;
  const debug = argv.includes('--debug');
  const ctx: CliContext = {
    io,
    setExitCode: (code) => {
      exitCode = Math.max(exitCode, code);
    },
  };
  const program = new Command('dbsage')
    .description('The expert database engineer as a toolkit: doctor, index advisor, lint, query analysis, MongoDB.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showHelpAfterError();
  for (const mod of await loadCommands(argv)) mod.register(program, ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) {
        return 0;
      }
      return 2;
    }
    io.stderr(`${formatError(error, debug)}\n`);
    return 2;
  }
  return exitCode;
}
