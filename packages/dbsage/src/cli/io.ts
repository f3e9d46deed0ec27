/**
 * Where the CLI writes. stdout carries the report; progress goes to stderr and only on a TTY. Tests pass their
 * own IO to capture both.
 */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** stderr is a terminal (progress bars and spinners allowed). */
  readonly stderrIsTTY: boolean;
  /** stdout is a terminal and NO_COLOR is not set. */
  readonly color: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /**
   * This is the `dbsage` process's own IO (the CLI runs as a short-lived process of its own): process-wide
   * settings such as the lint command's compiler flags are applied only then, never to a host that calls `main()`.
   */
  readonly ownProcess?: boolean;
}

/** The process's IO. */
export function processIO(): CliIO {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    color: Boolean(process.stdout.isTTY) && !noColor && process.env.TERM !== 'dumb',
    env: process.env,
    cwd: process.cwd(),
    ownProcess: true,
  };
}

/** A progress reporter that writes to stderr on a TTY and is silent otherwise (or with --quiet). */
export interface Progress {
  /** Sets the current phase; `fraction` in [0, 1] draws a bar. */
  update(label: string, fraction?: number): void;
  done(message?: string): void;
}

/** Creates a progress reporter. */
export function progress(io: CliIO, quiet: boolean): Progress {
  const enabled = io.stderrIsTTY && !quiet;
  let last = 0;
  return {
    update(label, fraction) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 80 && fraction !== 1) return;
      last = now;
      const bar =
        fraction === undefined
          ? ''
          : ` [${'#'.repeat(Math.round(fraction * 24)).padEnd(24, '.')}] ${Math.round(fraction * 100)}%`;
      io.stderr(`\r\u001b[2K${label}${bar}`);
    },
    done(message) {
      if (!enabled) return;
      io.stderr(`\r\u001b[2K${message ? `${message}\n` : ''}`);
    },
  };
}
