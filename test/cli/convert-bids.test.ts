/**
 * `neurostream convert IN OUT --bids …` on real recordings (an EEGMMIDB run, the OpenBCI Cyton
 * files, a simulated intracortical session), all into one dataset, checked by the BIDS validator
 * (npm bids-validator 1.x, offline) and read back: every sample within one quantisation step,
 * every marker kept, identification fields anonymised, dates shifted as asked.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ImportedRecording, openInput, readEdf } from '../../recordings/index.js';
import { runCli } from '../helpers/cli.js';
import { sharedData } from '../helpers/shared-data.js';

const R04 = fileURLToPath(sharedData('eeg/eegmmidb/S001/S001R04.edf'));
const GUI_V6 = fileURLToPath(sharedData('eeg/openbci/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt'));
const JORDAN = fileURLToPath(sharedData('eeg/openbci/OpenBCI_2016-02-13_Jordan_focus.txt'));
const VALIDATOR = fileURLToPath(new URL('../../node_modules/bids-validator/bin/bids-validator', import.meta.url));

interface ValidatorIssue {
  key: string;
  reason: string;
  files: { file?: { relativePath?: string } | null; evidence?: string | null }[];
}

/** The BIDS validator's verdict on a dataset (its JSON report); the warnings are printed. */
function validate(dir: string): { errors: ValidatorIssue[]; warnings: ValidatorIssue[] } {
  const run = spawnSync(process.execPath, [VALIDATOR, '--json', dir], { encoding: 'utf8', timeout: 120_000 });
  const report = JSON.parse(run.stdout) as { issues: { errors: ValidatorIssue[]; warnings: ValidatorIssue[] } };
  for (const w of report.issues.warnings) console.log(`bids-validator warning ${w.key}: ${w.reason}`);
  for (const e of report.issues.errors) console.log(`bids-validator ERROR ${e.key}: ${e.reason} ${e.files.map((f) => `${f.file?.relativePath ?? ''} ${f.evidence ?? ''}`).join('; ')}`);
  return report.issues;
}

/** Per channel, the value at every sample index (NaN where the stream has none). */
function samples(input: ImportedRecording): { values: Float64Array[]; length: number } {
  const stream = input.streams[0]!;
  const channels = stream.info.channelNames.length;
  const length = stream.totalSamples + 1024; // room for padding at the end of an EDF's last record
  const values = Array.from({ length: channels }, () => new Float64Array(length).fill(NaN));
  for (const block of stream.blocks()) {
    for (let c = 0; c < channels; c++) for (let i = 0; i < block.length; i++) values[c]![block.first + i] = block.data[c * block.length + i]!;
  }
  return { values, length };
}

/** Every sample of `source` is in `written` within one step of its physical/digital scaling; returns how many were compared. */
function expectSamplesKept(source: ImportedRecording, written: ImportedRecording): number {
  const a = samples(source);
  const b = samples(written);
  const ranges = written.streams[0]!.info.physicalRanges!;
  let compared = 0;
  a.values.forEach((channel, c) => {
    const r = ranges[c]!;
    const step = Math.abs(r.physicalMax - r.physicalMin) / (r.digitalMax - r.digitalMin);
    let worst = 0;
    let missing = 0;
    for (let i = 0; i < a.length; i++) {
      if (Number.isNaN(channel[i]!)) continue;
      const back = b.values[c]![i]!;
      if (Number.isNaN(back)) missing++;
      else worst = Math.max(worst, Math.abs(back - channel[i]!));
      compared++;
    }
    expect({ channel: c, missing }).toEqual({ channel: c, missing: 0 });
    expect(worst, `channel ${c}: largest error vs a step of ${step}`).toBeLessThanOrEqual(step * 1.0001);
  });
  return compared;
}

/** The EDF+ annotation text the export gives a scalar marker. */
const annotationText = (m: { type: string; value: unknown }): string => (m.type === 'annotation' ? String(m.value) : `${m.type}:${String(m.value)}`);

function readTsv(path: string): Record<string, string>[] {
  const [header, ...rows] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const columns = header!.split('\t');
  return rows.map((row) => Object.fromEntries(row.split('\t').map((cell, i) => [columns[i]!, cell])));
}

describe('neurostream convert --bids', () => {
  const root = mkdtempSync(join(tmpdir(), 'ns-bids-'));
  const dataset = join(root, 'ds');
  const intracortical = join(root, 'rec');

  beforeAll(async () => {
    const rec = await runCli(['run', '--fast', '--duration', '3', '--record', intracortical, '--no-dashboard'], { timeoutMs: 120_000 });
    expect(rec.code, rec.stderr).toBe(0);
  }, 240_000);

  it('writes an EEGMMIDB run, two OpenBCI recordings and an intracortical session into one dataset the BIDS validator passes with no error', async () => {
    const runs = [
      [R04, '--subject', '01', '--session', '01', '--task', 'mi', '--run', '4', '--mains', '60'],
      [GUI_V6, '--subject', '02', '--session', '01', '--task', 'rest', '--run', '1'],
      [JORDAN, '--subject', '02', '--session', '01', '--task', 'rest', '--run', '2', '--format', 'edf', '--allow-clipping'],
      [intracortical, '--subject', '03', '--session', '01', '--task', 'reach'],
    ];
    for (const [input, ...flags] of runs) {
      const r = await runCli(['convert', input!, dataset, '--bids', ...flags], { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^exported .* → .* \(BIDS (eeg|ieeg), (BDF|EDF)\)/);
    }
    const issues = validate(dataset);
    expect(issues.errors.map((e) => e.key)).toEqual([]);
    // The dataset holds what was asked: three participants, EEG and iEEG.
    expect(readTsv(join(dataset, 'participants.tsv')).map((r) => r.participant_id)).toEqual(['sub-01', 'sub-02', 'sub-03']);
    expect(existsSync(join(dataset, 'sub-03/ses-01/ieeg/sub-03_ses-01_task-reach_ieeg.edf'))).toBe(true);
    expect(readTsv(join(dataset, 'sub-02/ses-01/sub-02_ses-01_scans.tsv')).map((r) => r.filename)).toEqual([
      'eeg/sub-02_ses-01_task-rest_run-1_eeg.bdf',
      'eeg/sub-02_ses-01_task-rest_run-2_eeg.edf',
    ]);
    const sidecar = JSON.parse(readFileSync(join(dataset, 'sub-01/ses-01/eeg/sub-01_ses-01_task-mi_run-4_eeg.json'), 'utf8'));
    expect(sidecar).toMatchObject({ TaskName: 'mi', SamplingFrequency: 160, PowerLineFrequency: 60, EEGChannelCount: 64, RecordingDuration: 125, RecordingType: 'continuous' });
    const ieeg = JSON.parse(readFileSync(join(dataset, 'sub-03/ses-01/ieeg/sub-03_ses-01_task-reach_ieeg.json'), 'utf8'));
    expect(ieeg).toMatchObject({ TaskName: 'reach', SamplingFrequency: 30000, PowerLineFrequency: 60, SEEGChannelCount: 96, iEEGReference: 'n/a' });
    // The Jordan file's railed channels are bad in channels.tsv, with the verdict's reason.
    const channels = readTsv(join(dataset, 'sub-02/ses-01/eeg/sub-02_ses-01_task-rest_run-2_channels.tsv'));
    const bad = channels.filter((c) => c.status === 'bad');
    expect(bad.length).toBeGreaterThan(0);
    expect(bad.every((c) => /railed|flat/.test(c.status_description!))).toBe(true);
    expect(channels.filter((c) => c.type === 'MISC').map((c) => c.name)).toHaveLength(3); // the accelerometer

    // The validator does find errors: a copy whose sidecar lacks TaskName is refused.
    const broken = join(root, 'broken');
    cpSync(dataset, broken, { recursive: true });
    const path = join(broken, 'sub-01/ses-01/eeg/sub-01_ses-01_task-mi_run-4_eeg.json');
    const { TaskName: _t, SamplingFrequency: _s, ...rest } = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify(rest));
    expect(validate(broken).errors.length).toBeGreaterThan(0);
  }, 600_000);

  it('round trip: recording → BIDS → its EDF/BDF keeps every sample within one step and every marker, at its sample', async () => {
    const cases: [string, string][] = [
      [R04, 'sub-01/ses-01/eeg/sub-01_ses-01_task-mi_run-4_eeg.bdf'],
      [JORDAN, 'sub-02/ses-01/eeg/sub-02_ses-01_task-rest_run-2_eeg.edf'],
      [intracortical, 'sub-03/ses-01/ieeg/sub-03_ses-01_task-reach_ieeg.edf'],
    ];
    for (const [input, file] of cases) {
      const path = join(dataset, file);
      expect(existsSync(path), `${path} (written by the test above)`).toBe(true);
      const source = openInput(input);
      const written = readEdf(path);
      expect(written.streams[0]!.info.channelNames).toEqual(source.streams[0]!.info.channelNames);
      expect(expectSamplesKept(source, written)).toBeGreaterThan(0);
      const scalar = source.markers.filter((m) => !Array.isArray(m.value));
      const back = written.markers.filter((m) => m.value !== 'BAD_padding');
      expect(back.map((m) => [m.sample, m.value])).toEqual(scalar.map((m) => [m.sample, annotationText(m)]));
      // events.tsv holds the markers too, at their onsets (the intracortical cues with their targets).
      const events = readTsv(path.replace(/_(eeg|ieeg)\.(edf|bdf)$/, '_events.tsv'));
      const expected = source.markers.filter((m) => m.type !== 'kinematics');
      expect(events.map((e) => [Number(e.sample), e.trial_type])).toEqual(expected.map((m) => [m.sample, m.type === 'annotation' ? m.value : m.type]));
      expect(events.map((e) => Number(e.onset))).toEqual(expected.map((m) => Number((m.sample / source.streams[0]!.info.sampleRateHz).toFixed(9))));
    }
    const cues = readTsv(join(dataset, 'sub-03/ses-01/ieeg/sub-03_ses-01_task-reach_events.tsv'));
    expect(cues.length).toBeGreaterThan(0);
    expect(cues[0]!.value).toMatch(/^\[-?\d/);
  }, 300_000);

  it('de-identifies: the EDF patient field is X X X X, and --shift-dates-days moves the EDF start and scans.tsv acq_time alike', async () => {
    const ds = join(root, 'shifted');
    const r = await runCli(['convert', GUI_V6, ds, '--bids', '--subject', '07', '--task', 'rest', '--shift-dates-days', '-36500', '--format', 'edf'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const file = join(ds, 'sub-07/eeg/sub-07_task-rest_eeg.edf');
    const header = readFileSync(file).subarray(0, 256).toString('latin1');
    expect(header.slice(8, 88).trim()).toBe('X X X X');
    expect(header.slice(88, 168)).toMatch(/^Startdate \d{2}-[A-Z]{3}-\d{4} X X /);
    const original = Date.parse(openInput(GUI_V6).streams[0]!.info.startTime);
    const start = Date.parse(readEdf(file).streams[0]!.info.startTime);
    expect(start).toBe(original - 36500 * 86_400_000); // the EDF+ start (to the ms, with its TAL offset)
    expect(new Date(start).getUTCFullYear()).toBe(1919);
    const [scan] = readTsv(join(ds, 'sub-07/sub-07_scans.tsv'));
    expect(scan).toEqual({ filename: 'eeg/sub-07_task-rest_eeg.edf', acq_time: new Date(Math.floor(start / 1000) * 1000).toISOString().slice(0, 19) });
    expect(validate(ds).errors.map((e) => e.key)).toEqual([]);
  }, 300_000);

  it('bad input: a missing --subject, an illegal label, an existing run, BDF for iEEG, a BIDS flag without --bids — one error line, exit 2, nothing written', async () => {
    const ds = join(root, 'bad');
    const ok = await runCli(['convert', R04, ds, '--bids', '--subject', '01', '--task', 'mi']);
    expect(ok.code, ok.stderr).toBe(0);
    const before = execFileSync('find', [ds, '-type', 'f', '-newer', join(ds, 'dataset_description.json')], { encoding: 'utf8' });
    const participants = readFileSync(join(ds, 'participants.tsv'), 'utf8');
    const cases: [string[], RegExp][] = [
      [['convert', R04, ds, '--bids', '--task', 'mi'], /^neurostream: --subject: expected a participant label with --bids .*got "none"/],
      [['convert', R04, ds, '--bids', '--subject', 'sub_01', '--task', 'mi'], /^neurostream: --subject: expected a BIDS label: letters and digits only .*got "sub_01"/],
      [['convert', R04, ds, '--bids', '--subject', '01', '--task', 'm-i'], /^neurostream: --task: expected a BIDS label: letters and digits only .*got "m-i"/],
      [['convert', R04, ds, '--bids', '--subject', '01', '--task', 'mi'], /^neurostream: OUT .*: sub-01\/eeg\/sub-01_task-mi_eeg\.bdf: expected a run not yet in the dataset .*got "an existing file"/],
      [['convert', R04, ds, '--bids', '--subject', '01', '--task', 'mi', '--format', 'edf'], /^neurostream: OUT .*: sub-01\/eeg\/sub-01_task-mi_eeg\.bdf: expected a run not yet in the dataset/],
      [['convert', intracortical, ds, '--bids', '--subject', '02', '--task', 'reach', '--format', 'bdf'], /^neurostream: --format: expected edf for iEEG/],
      [['convert', R04, join(root, 'x.edf'), '--subject', '01'], /^neurostream: --subject: expected --bids as well/],
      [['convert', R04, ds, '--bids', '--subject', '01', '--task', 'mi', '--run', 'one'], /^neurostream: --run: expected an integer, got "one"/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(execFileSync('find', [ds, '-type', 'f', '-newer', join(ds, 'dataset_description.json')], { encoding: 'utf8' })).toBe(before);
    expect(readFileSync(join(ds, 'participants.tsv'), 'utf8')).toBe(participants);
    expect(existsSync(join(root, 'x.edf'))).toBe(false);
    expect(existsSync(join(ds, 'sub-02'))).toBe(false);
  }, 300_000);
});
