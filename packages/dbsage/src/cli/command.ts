import type { Command } from 'commander';
import type { CliIO } from './io.js';

/** What a command module receives when it registers itself. */
export interface CliContext {
  readonly io: CliIO;
  /** Sets the process exit code (the highest value set wins; 2 for errors is set by the runner). */
  setExitCode(code: number): void;
}

/**
 * A command module: one file per command under `cli/commands/`, discovered at start-up, so adding a command
 * touches no shared file.
 */
export interface CommandModule {
  /** Command name, for ordering in `--help`. */
  readonly name: string;
  /** Lower sorts earlier in `--help` (default 100). */
  readonly order?: number;
  register(program: Command, ctx: CliContext): void;
}
