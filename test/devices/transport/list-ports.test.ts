import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listPorts, scanDev } from '../../../devices/transport/list-ports.js';

describe('listPorts', () => {
  it('falls back to scanning /dev when udevadm is missing, and says so', async () => {
    const udevMissing = Object.assign(new Error('spawn udevadm ENOENT'), { code: 'ENOENT' });
    const result = await listPorts(() => Promise.reject(udevMissing));
    expect(result.source).toBe('dev');
    expect(result.note).toMatch(/udevadm is not available/);
    expect(Array.isArray(result.ports)).toBe(true);
  });

  it('passes through what the OS lists when it can', async () => {
    const result = await listPorts(() => Promise.resolve([{ path: '/dev/ttyUSB0', manufacturer: 'FTDI', vendorId: '0403', productId: '6015' }]));
    expect(result).toEqual({ source: 'udev', ports: [{ path: '/dev/ttyUSB0', manufacturer: 'FTDI', vendorId: '0403', productId: '6015' }] });
  });

  it('finds USB serial devices and by-id links in a /dev tree', () => {
    const dev = mkdtempSync(join(tmpdir(), 'ns-dev-'));
    for (const name of ['ttyUSB0', 'ttyACM1', 'tty0', 'null', 'ttyS3']) writeFileSync(join(dev, name), '');
    mkdirSync(join(dev, 'serial', 'by-id'), { recursive: true });
    symlinkSync(join(dev, 'ttyUSB0'), join(dev, 'serial', 'by-id', 'usb-FTDI_FT231X_USB_UART_DM00QA1Z-if00-port0'));
    const ports = scanDev(dev);
    expect(ports.map((p) => p.path.slice(dev.length))).toEqual([
      '/serial/by-id/usb-FTDI_FT231X_USB_UART_DM00QA1Z-if00-port0',
      '/ttyACM1',
      '/ttyS3',
      '/ttyUSB0',
    ]);
    expect(ports[0]!.target).toBe(join(dev, 'ttyUSB0'));
  });
});
