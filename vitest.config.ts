import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Worker threads started by the code under test (recorder, simulator, calibration) load the
    // TypeScript sources through these hooks, as the tests themselves do: no test needs dist/.
    execArgv: ['--import', fileURLToPath(new URL('./test/helpers/ts-worker-register.mjs', import.meta.url))],
    reporters: ['default'],
  },
});
