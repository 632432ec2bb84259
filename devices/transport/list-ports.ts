/**
 * Serial ports on this machine. node-serialport asks udev (`udevadm`), which minimal Linux systems
 * and containers lack — `SerialPort.list()` then throws `spawn udevadm ENOENT`. In that case the
 * device nodes that are usually serial ports are listed from /dev instead, and the result says so.
 */
import { readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPort } from 'serialport';

export interface PortEntry {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
  /** Where a /dev/serial/by-id link points. */
  target?: string;
}

export interface PortList {
  ports: PortEntry[];
  /** `udev` when SerialPort.list() worked; `dev` when the /dev scan stood in for it. */
  source: 'udev' | 'dev';
  /** Why the /dev scan was used. */
  note?: string;
}

const CANDIDATES = /^tty(USB|ACM|AMA|S|XRUSB|SiLabs)\d+$|^cu\./;

export function scanDev(dev = '/dev'): PortEntry[] {
  const out: PortEntry[] = [];
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  for (const name of list(join(dev, 'serial', 'by-id'))) {
    const path = join(dev, 'serial', 'by-id', name);
    let target: string | undefined;
    try {
      target = realpathSync(path);
    } catch {
      // dangling link: list it anyway
    }
    out.push({ path, ...(target ? { target } : {}) });
  }
  for (const name of list(dev).sort()) if (CANDIDATES.test(name)) out.push({ path: join(dev, name) });
  return out;
}

export async function listPorts(list: () => Promise<PortEntry[]> = () => SerialPort.list()): Promise<PortList> {
  try {
    const ports = (await list()).map((p) => ({
      path: p.path,
      ...(p.manufacturer ? { manufacturer: p.manufacturer } : {}),
      ...(p.serialNumber ? { serialNumber: p.serialNumber } : {}),
      ...(p.vendorId ? { vendorId: p.vendorId } : {}),
      ...(p.productId ? { productId: p.productId } : {}),
    }));
    return { ports, source: 'udev' };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const udevMissing = e.code === 'ENOENT' || /udevadm/.test(e.message ?? '');
    return {
      ports: scanDev(),
      source: 'dev',
      note: udevMissing
        ? 'udevadm is not available here (minimal Linux or a container), so ports were listed from /dev without device details'
        : `the port list failed (${e.message}); ports were listed from /dev without device details`,
    };
  }
}
