// Run by `npm test` before the suite: the device tests drive real pseudo-terminals made by socat,
// the EDF tests have MNE-Python (Debian's python3-mne, at /usr/bin/python3) read our files back, and
// the dashboard tests drive Debian's Chromium (never a downloaded browser) with playwright-core,
// the NWB tests have pynwb (../shared/tools/pynwb, on Debian's hdmf, h5py, pandas, dateutil)
// validate our files, and the LSL tests run the reference liblsl peer (it links libpugixml).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const missing = [];
try {
  execFileSync('socat', ['-V'], { stdio: 'ignore' });
} catch {
  missing.push(
    'socat is required (the device tests run emulators on real pseudo-terminal pairs).\n' +
      '  Install it: Debian/Ubuntu `sudo apt-get install socat`, Fedora `sudo dnf install socat`, macOS `brew install socat`.',
  );
}
try {
  execFileSync('/usr/bin/python3', ['-c', 'import mne, scipy'], { stdio: 'ignore' });
} catch {
  missing.push(
    'MNE-Python is required at /usr/bin/python3 (the EDF/BDF tests check that MNE reads the files we write).\n' +
      '  Install it: Debian/Ubuntu `sudo apt-get install python3-mne python3-scipy`.',
  );
}
try {
  execFileSync('/usr/bin/chromium', ['--version'], { stdio: 'ignore' });
} catch {
  missing.push(
    'Chromium is required at /usr/bin/chromium (the dashboard tests load the page in headless Chromium).\n' +
      '  Install it: Debian/Ubuntu `sudo apt-get install chromium`.',
  );
}
try {
  execFileSync('/usr/bin/python3', ['-c', 'import hdmf, h5py, pandas, dateutil'], { stdio: 'ignore' });
} catch {
  missing.push(
    'hdmf, h5py, pandas and dateutil are required at /usr/bin/python3 (the NWB tests validate our files with pynwb 2.3.1).\n' +
      '  Install them: Debian/Ubuntu `sudo apt-get install python3-hdmf python3-h5py python3-pandas python3-dateutil`.',
  );
}
if (!['/usr/lib/x86_64-linux-gnu/libpugixml.so.1', '/usr/lib/aarch64-linux-gnu/libpugixml.so.1', '/usr/lib/libpugixml.so.1'].some((p) => existsSync(p))) {
  missing.push(
    'libpugixml is required (the LSL tests run ../shared/tools/lsl-peer, the reference liblsl 1.17.7, which links it).\n' +
      '  Install it: Debian/Ubuntu `sudo apt-get install libpugixml1v5`.',
  );
}
if (missing.length > 0) {
  process.stderr.write(`npm test: missing prerequisites:\n- ${missing.join('\n- ')}\n`);
  process.exit(1);
}
