// Run by `npm test` before the suite: the device tests drive real pseudo-terminals made by socat.
import { execFileSync } from 'node:child_process';

try {
  execFileSync('socat', ['-V'], { stdio: 'ignore' });
} catch {
  process.stderr.write(
    'npm test: socat is required (the device tests run emulators on real pseudo-terminal pairs).\n' +
      'Install it: Debian/Ubuntu `sudo apt-get install socat`, Fedora `sudo dnf install socat`, macOS `brew install socat`.\n',
  );
  process.exit(1);
}
