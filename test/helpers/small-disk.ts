/**
 * A small disk for disk-full tests: a real tmpfs of `sizeBytes` mounted on a new directory (the
 * tests run as root here). Where mounting is not allowed, a file-size limit stands in for it
 * (`ulimit -f` in `shellPrefix`, writes beyond it fail with EFBIG): the CLI sees a refusing disk
 * either way. `release()` unmounts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  /** An empty directory on the small disk. */
  readonly dir: string;
  /** `tmpfs`, or `ulimit` when the fallback is used. */
  readonly kind: 'tmpfs' | 'ulimit';
  /** Shell commands to run the CLI under (the file-size limit of the fallback; empty for tmpfs). */
  readonly shellPrefix: string;
  release(): void;
}

export function smallDisk(sizeBytes: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'ns-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], { stdio: 'ignore' });
    return {
      dir,
      kind: 'tmpfs',
      shellPrefix: '',
      release: () => {
        execFileSync('umount', [dir], { stdio: 'ignore' });
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch {
    return {
      dir,
      kind: 'ulimit',
      shellPrefix: `trap '' XFSZ; ulimit -f ${Math.floor(sizeBytes / 1024)};`,
      release: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
}
