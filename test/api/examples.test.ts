/**
 * examples/*.ts as a user runs them: compiled against the package's own exports (dist/*.d.ts, by
 * the package resolving its own name), run with node, their output and files checked; and the
 * package packed (`npm pack`), installed into an empty project, and an example run against that
 * install — the way a user gets neurostream. Needs the build (npm test builds first).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { openRecording, readEdf } from '../../recordings/index.js';
import { sharedData } from '../helpers/shared-data.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const compiled = join(root, 'dist-examples');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** Runs `node file args` in `cwd`; returns stdout, failing with stderr on a non-zero exit. */
function node(file: string, args: string[], cwd: string): string {
  const result = spawnSync(process.execPath, [file, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`${file} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'devices', 'index.d.ts'))) throw new Error('dist/ is not built: run npm run build');
  rmSync(compiled, { recursive: true, force: true });
  // Type errors fail here, against the built declarations (what a user's compiler sees).
  execFileSync(process.execPath, [tsc, '-p', join(root, 'examples', 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
}, 120_000);

describe('examples', () => {
  it('compile against the package exports, one JavaScript file per example', () => {
    expect(readdirSync(compiled).sort()).toEqual(['custom-operator.js', 'offline-analysis.js', 'scripted-session.js']);
  });

  it('scripted-session: simulate → filters → features → Kalman → intents, recorded and on the dashboard', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ns-examples-')), 'session');
    const out = node(join(compiled, 'scripted-session.js'), [dir, '4'], root);
    expect(out).toMatch(/^dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+$/m);
    // 4 s in 20 ms bins: 100 bins to calibrate, the other 100 decoded into 4-D kinematics.
    expect(out).toMatch(/calibrated kalman on \d+ bins; decoded 100 bins \(4 values each\)/);
    const recording = openRecording(dir);
    expect(recording.manifest.status).toBe('complete');
    expect(recording.manifest.streams[0]!.endSample).toBe(40_000);
    expect(recording.info.channelNames).toHaveLength(16);
    expect(recording.markers().some((m) => m.type === 'kinematics')).toBe(true);

    // offline-analysis reads that recording back (no annotations: no cue lines) and exports it.
    const bdf = join(dirname(dir), 'session.bdf');
    const analysis = node(join(compiled, 'offline-analysis.js'), [dir, bdf], root);
    expect(analysis).toMatch(/^7 band-power frames; wrote .*session\.bdf: 4 records/m);
    expect(readEdf(bdf).streams[0]!.info.channelNames).toHaveLength(16);
  });

  it('offline-analysis: band power per motor-imagery cue of a real EDF+ recording, exported to BDF+', () => {
    const bdf = join(mkdtempSync(join(tmpdir(), 'ns-examples-')), 'r04.bdf');
    const out = node(join(compiled, 'offline-analysis.js'), [fileURLToPath(sharedData('eeg/eegmmidb/S001/S001R04.edf')), bdf], root);
    // S001R04: 125 s, 15 cues each of T1 and T2 (imagined left / right fist) and 30 of T0 (rest).
    expect(out).toMatch(/^T0: \d+ windows/m);
    expect(out).toMatch(/^T1: \d+ windows/m);
    expect(out).toMatch(/^T2: \d+ windows/m);
    expect(out).toMatch(/wrote .*r04\.bdf: 125 records, 30 annotations/);
    const back = readEdf(bdf);
    expect(back.streams[0]!.info.channelNames).toHaveLength(64);
    expect(back.markers.filter((m) => m.type === 'annotation')).toHaveLength(30);
  });

  it('custom-operator: a user-written operator between built-in ones', () => {
    expect(node(join(compiled, 'custom-operator.js'), [], root)).toMatch(/^8 frames of 8 line lengths; ll:Fp1 = \d+ µV\/s$/m);
  });
});

describe('the packed package', () => {
  it('installs from its tarball into an empty project, runs an example there, and keeps its bin', () => {
    const work = mkdtempSync(join(tmpdir(), 'ns-pack-'));
    const pack = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' })) as { filename: string; files: { path: string }[] }[];
    const files = pack[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/devices/index.d.ts');
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('dist/test/') || f.startsWith('docs/api/html/'))).toBe(false);
    const project = join(work, 'project');
    execFileSync('mkdir', [project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
    copyFileSync(join(root, '.npmrc'), join(project, '.npmrc')); // onnxruntime-node-install=skip, as the README says
    execFileSync('npm', ['install', join(work, pack[0]!.filename), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: project, encoding: 'utf8', timeout: 110_000 });
    for (const example of ['scripted-session.js', 'custom-operator.js']) copyFileSync(join(compiled, example), join(project, example));
    // The imports resolve to the installed package, not to this checkout.
    const resolved = execFileSync(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('neurostream/devices'))"], { cwd: project, encoding: 'utf8' });
    expect(resolved.trim()).toBe(`file://${join(project, 'node_modules', 'neurostream', 'dist', 'devices', 'index.js')}`);
    const out = node('scripted-session.js', [join(work, 'session'), '2'], project);
    expect(out).toMatch(/calibrated kalman on \d+ bins; decoded 50 bins \(4 values each\)/);
    expect(openRecording(join(work, 'session')).manifest.status).toBe('complete');
    expect(node('custom-operator.js', [], project)).toMatch(/^8 frames of 8 line lengths/m);
    const bin = spawnSync(join(project, 'node_modules', '.bin', 'neurostream'), ['--version'], { encoding: 'utf8' });
    expect(bin.status).toBe(0);
    expect(bin.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, 180_000);
});
