#!/usr/bin/env node
/**
 * The `neurostream` command line: the composition root that wires devices, acquisition,
 * decoding, recordings and the dashboard together. Nothing imports cli/.
 *
 * Exit codes: 0 success; 1 a failure while running; 2 bad usage, flag or value (one line on
 * stderr naming the flag, what was expected and what was given); 128 + n a job stopped by signal n.
 */
import { Command, CommanderError } from 'commander';
import { ErrorCode, NeurostreamError, SOFTWARE_VERSION } from '../core/index.js';
import { BatchInterrupted } from './batch-interrupt.js';
import { benchCommand } from './commands/bench.js';
import { calibrateCommand } from './commands/calibrate.js';
import { convertCommand } from './commands/convert.js';
import { evaluateCommand } from './commands/evaluate.js';
import { emulateCommand } from './commands/emulate.js';
import { filterCommand } from './commands/filter.js';
import { impedanceCommand } from './commands/impedance.js';
import { infoCommand } from './commands/info.js';
import { lslCommand } from './commands/lsl.js';
import { portsCommand } from './commands/ports.js';
import { replayCommand } from './commands/replay.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { guardTerminalOutput } from './terminal-output.js';

export function buildProgram(): Command {
  const program = new Command('neurostream')
    .description('Brain–computer-interface toolkit: devices, real-time DSP, decoding, recording, live dashboard')
    .version(SOFTWARE_VERSION)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  for (const command of [runCommand(), replayCommand(), convertCommand(), infoCommand(), calibrateCommand(), evaluateCommand(), emulateCommand(), portsCommand(), lslCommand(), impedanceCommand(), filterCommand(), serveCommand(), benchCommand()]) {
    program.addCommand(command.exitOverride().configureOutput({ writeErr: () => {} }));
  }
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  // Texts from files reach the terminal with their control characters made visible.
  guardTerminalOutput(process.stdout);
  guardTerminalOutput(process.stderr);
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0; // --help, --version
      process.stderr.write(`neurostream: ${error.message.replace(/^error: /, '')} [${ErrorCode.Usage}]\n`);
      return 2;
    }
    if (error instanceof BatchInterrupted) {
      process.stderr.write(`neurostream: ${error.message} [${error.code}]\n`);
      return error.exitCode; // 128 + the signal's number
    }
    if (error instanceof NeurostreamError) {
      process.stderr.write(`neurostream: ${error.message} [${error.code}]\n`);
      return error.code === ErrorCode.InvalidOption || error.code === ErrorCode.Usage ? 2 : 1;
    }
    process.stderr.write(`neurostream: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
