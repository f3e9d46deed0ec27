import { defineConfig } from 'vitest/config';

/**
 * Three tiers, selected by file suffix so a test can live next to the code it tests:
 *   *.unit.test.ts      no I/O
 *   *.embedded.test.ts  PGlite
 *   *.server.test.ts    throwaway PostgreSQL 15 / Redis 7 started by test/support
 */
const exclude = ['**/node_modules/**', '**/dist/**'];

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['packages/*/{src,test}/**/*.unit.test.ts', 'test/**/*.unit.test.ts'], exclude },
      },
      {
        test: {
          name: 'embedded',
          include: ['packages/*/{src,test}/**/*.embedded.test.ts'],
          exclude,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'server',
          include: ['packages/*/{src,test}/**/*.server.test.ts'],
          exclude,
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
