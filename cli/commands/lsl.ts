/** `neurostream lsl list` — every Lab Streaming Layer stream visible under the LSL settings (LSLAPICFG / lsl_api.cfg). */
import { Command } from 'commander';
import { InvalidOptionError } from '../../core/index.js';
import { channelDescriptions, fetchFullInfo, loadLslConfig, resolveStreams, type LslStreamInfo } from '../../devices/index.js';

function header(info: LslStreamInfo, labels: string[] | undefined): Record<string, unknown> {
  return {
    name: info.name,
    type: info.type,
    channelCount: info.channelCount,
    nominalSrateHz: info.nominalSrateHz,
    channelFormat: info.channelFormat,
    sourceId: info.sourceId,
    hostname: info.hostname,
    uid: info.uid,
    sessionId: info.sessionId,
    version: info.version / 100,
    createdAt: info.createdAt,
    address: info.v4address,
    dataPort: info.v4dataPort,
    servicePort: info.v4servicePort,
    ...(labels ? { channels: labels } : {}),
  };
}

export function lslCommand(): Command {
  const lsl = new Command('lsl').description('Lab Streaming Layer: streams on the network (settings from LSLAPICFG or lsl_api.cfg, as liblsl)');
  lsl
    .command('list')
    .description('list every visible LSL stream with its header')
    .option('--json', 'print JSON (one array of stream headers)', false)
    .option('--query <xpath>', "only streams matching this predicate, e.g. \"type='EEG'\"")
    .option('--timeout-s <s>', 'how long to wait for answers', '1')
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .action(async (flags: { json: boolean; query?: string; timeoutS: string }) => {
      const timeoutS = Number(flags.timeoutS);
      if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > 600) throw new InvalidOptionError('--timeout-s', 'seconds, more than 0 and at most 600', flags.timeoutS);
      const config = loadLslConfig();
      const streams = await resolveStreams({ config, timeoutMs: timeoutS * 1000, ...(flags.query !== undefined ? { predicate: flags.query } : {}) });
      streams.sort((a, b) => a.name.localeCompare(b.name) || a.uid.localeCompare(b.uid));
      // Channel labels come from each stream's full info (its description); a stream that does not answer keeps its header.
      const labels = await Promise.all(
        streams.map((s) =>
          fetchFullInfo(s.v4address || '127.0.0.1', s.v4dataPort, 2000).then(
            (full) => channelDescriptions(full).map((c) => c.label),
            () => undefined,
          ),
        ),
      );
      const rows = streams.map((s, i) => header(s, labels[i]));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (rows.length === 0) process.stdout.write(`no LSL streams answered within ${timeoutS} s (resolve scope ${config.resolveScope}, settings from ${config.source})\n`);
      for (const s of streams) {
        const rate = s.nominalSrateHz > 0 ? `${s.nominalSrateHz} Hz` : 'irregular';
        process.stdout.write(`${s.name}  type ${s.type || '-'}, ${s.channelCount} ch ${s.channelFormat}, ${rate}, source ${s.sourceId || '-'}, ${s.hostname} ${s.v4address}:${s.v4dataPort}\n`);
      }
    });
  return lsl;
}
