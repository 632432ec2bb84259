/** `neurostream ports` — the serial ports a device may be on. */
import { Command } from 'commander';
import { listPorts } from '../../devices/index.js';

export function portsCommand(): Command {
  return new Command('ports')
    .description('list serial ports (works without udev: falls back to scanning /dev)')
    .option('--json', 'print JSON', false)
    .action(async (flags: { json: boolean }) => {
      const result = await listPorts();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      if (result.note) process.stdout.write(`note: ${result.note}\n`);
      if (result.ports.length === 0) process.stdout.write('no serial ports found\n');
      for (const p of result.ports) {
        const details = [p.manufacturer, p.serialNumber && `serial ${p.serialNumber}`, p.vendorId && `${p.vendorId}:${p.productId ?? ''}`, p.target && `→ ${p.target}`]
          .filter(Boolean)
          .join(', ');
        process.stdout.write(`${p.path}${details ? `  (${details})` : ''}\n`);
      }
    });
}
