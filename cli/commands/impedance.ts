/**
 * `neurostream impedance --port P [--channels 1-8] [--seconds S] [--json]` — electrode impedance
 * of an OpenBCI Cyton, channel by channel, from its lead-off current (see cli/cyton-impedance.ts):
 * kΩ per channel, as a table or JSON.
 */
import { Command } from 'commander';
import { checkNumber } from '../../core/index.js';
import { measureCytonImpedance, parseChannelList } from '../cyton-impedance.js';
import { positiveNumberFlag } from '../parse-flag.js';

interface ImpedanceFlags {
  port: string;
  channels: string;
  seconds: number;
  json: boolean;
}

export function impedanceCommand(): Command {
  return new Command('impedance')
    .description("measure electrode impedance on an OpenBCI Cyton: each channel's 6 nA, 31.25 Hz lead-off current in turn, kΩ per channel")
    .requiredOption('--port <path>', 'serial port of the Cyton (its dongle), e.g. /dev/ttyUSB0')
    .option('--channels <list>', 'channels to measure, e.g. 1-8 or 1,3,5 (16 with a Daisy)', '1-8')
    .option('--seconds <s>', 'seconds measured per channel (after 0.5 s settling)', positiveNumberFlag('--seconds', 60), 2)
    .option('--json', 'print JSON instead of a table', false)
    .action(async (flags: ImpedanceFlags) => {
      process.exitCode = await impedance(flags);
    });
}

async function impedance(flags: ImpedanceFlags): Promise<number> {
  const channels = parseChannelList('--channels', flags.channels);
  checkNumber('option', '--seconds', flags.seconds, { min: 0, exclusiveMin: true });
  if (!flags.json) process.stdout.write(`measuring impedance on ${flags.port}: channel by channel, ${flags.seconds} s each (lead-off 6 nA at 31.25 Hz)\n`);
  const results = await measureCytonImpedance({
    port: flags.port,
    channels,
    seconds: flags.seconds,
    onChannel: (r) => {
      if (!flags.json) process.stdout.write(`  ${String(r.channel).padStart(2)}  ${r.name.padEnd(6)} ${r.impedanceKohm.toFixed(1).padStart(8)} kΩ\n`);
    },
  });
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ port: flags.port, leadOffHz: 31.25, driveCurrentNa: 6, seriesResistorKohm: 2.2, channels: results.map((r) => ({ channel: r.channel, name: r.name, impedanceKohm: Number(r.impedanceKohm.toFixed(3)), amplitudeUv: Number(r.amplitudeUv.toFixed(3)) })) })}\n`,
    );
  } else {
    process.stdout.write('lead-off turned off on every measured channel\n');
  }
  return 0;
}
