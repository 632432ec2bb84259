// Passed to vitest's forks with `--import` (vitest.config.ts execArgv): worker threads inherit it.
import { register } from 'node:module';

register('./ts-worker-hooks.mjs', import.meta.url);
