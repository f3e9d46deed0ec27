/**
 * Generates a migration of `count` statements (one per line) that mixes what real migration files hold: new
 * tables with their indexes and constraints, and DDL on tables that already exist. Every statement carries
 * ground truth: whether it touches a table created earlier in the file, and whether it is a real lock hazard.
 */

/** One generated statement. */
export interface GeneratedStatement {
  line: number;
  sql: string;
  /** Works on a table created earlier in this file (a lock finding here is a false positive). */
  touchesNewTable: boolean;
  /** A real lock hazard on an existing table (a lock finding here is a true positive). */
  hazard: boolean;
}

const EXISTING = ['orders', 'users', 'events', 'payments', 'sessions'];

/** Deterministic: the same count gives the same file. */
export function generateMigration(count: number): { sql: string; statements: GeneratedStatement[] } {
  const statements: GeneratedStatement[] = [];
  const push = (sql: string, touchesNewTable: boolean, hazard: boolean) =>
    statements.push({ line: statements.length + 1, sql, touchesNewTable, hazard });
  let n = 0;
  while (statements.length < count) {
    const t = `feature_${n}`;
    const existing = EXISTING[n % EXISTING.length]!;
    // A new table and what usually follows it in the same migration.
    push(
      `CREATE TABLE ${t} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, owner_id bigint NOT NULL, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());`,
      false,
      false,
    );
    push(`CREATE INDEX ${t}_owner_idx ON ${t} (owner_id);`, true, false);
    push(`CREATE INDEX ${t}_created_idx ON ${t} (created_at);`, true, false);
    push(`ALTER TABLE ${t} ADD CONSTRAINT ${t}_name_check CHECK (length(name) > 0);`, true, false);
    push(`ALTER TABLE ${t} ADD CONSTRAINT ${t}_owner_fk FOREIGN KEY (owner_id) REFERENCES users (id);`, true, false);
    push(`ALTER TABLE ${t} ADD COLUMN status text NOT NULL;`, true, false);
    // DDL on tables that exist: real hazards, and safe variants.
    push(`CREATE INDEX ${existing}_c${n}_idx ON ${existing} (c${n});`, false, true);
    push(`ALTER TABLE ${existing} ADD CONSTRAINT ${existing}_c${n}_check CHECK (c${n} > 0);`, false, true);
    push(`CREATE INDEX CONCURRENTLY ${existing}_d${n}_idx ON ${existing} (d${n});`, false, false);
    push(`ALTER TABLE ${existing} ADD COLUMN e${n} text;`, false, false);
    n++;
  }
  statements.length = count;
  return { sql: `${statements.map((s) => s.sql).join('\n')}\n`, statements };
}
