/**
 * NWB export proved by the reference: every file `convert … .nwb` writes from real recordings
 * (an EEGMMIDB EDF+ run, an OpenBCI GUI file with dropped packets, a simulated intracortical
 * session with features and a decoder) passes pynwb 2.3.1's `validate` with no error, and pynwb
 * reads back every sample equal to the recording's (float32, exactly), the rate or the
 * timestamps, the electrodes, the markers, trials, features, decoder outputs and provenance.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { NWB_SPEC_CACHE } from '../../../recordings/nwb/nwb-spec-cache.js';
import { openInput } from '../../../recordings/open-input.js';
import { runCli } from '../../helpers/cli.js';
import { pynwbCheck, type PynwbSeries } from '../../helpers/pynwb.js';
import { sharedData } from '../../helpers/shared-data.js';

const EDF = fileURLToPath(sharedData('eeg/eegmmidb/S001/S001R04.edf'));
const OPENBCI = fileURLToPath(sharedData('eeg/openbci/OpenBCI_2016-02-13_Jordan_focus.txt'));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nwb-export-'));
});

async function convert(input: string, name: string, extra: string[] = []): Promise<string> {
  const out = join(dir, name);
  const r = await runCli(['convert', input, out, ...extra], { timeoutMs: 120_000 });
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.code).toBe(0);
  return out;
}

/**
 * The input's stream `stream`, channels `channels`, as (time × channel) rows with their sample
 * indices — what the series must hold.
 */
function expected(input: string, channels: readonly number[], stream = 0): { values: Float32Array; samples: number[] } {
  const opened = openInput(input);
  const rows: number[] = [];
  const samples: number[] = [];
  for (const block of opened.streams[stream]!.blocks()) {
    for (let i = 0; i < block.length; i++) {
      for (const c of channels) rows.push(block.data[c * block.length + i]!);
      samples.push(block.first + i);
    }
  }
  return { values: Float32Array.from(rows), samples };
}

/** Every stored value equal to the recording's (float32 compared exactly); the count of mismatches otherwise. */
function mismatches(series: PynwbSeries, values: Float32Array): number {
  expect(series.values.length).toBe(values.length);
  let bad = 0;
  for (let i = 0; i < values.length; i++) if (!Object.is(series.values[i], values[i])) bad++;
  return bad;
}

describe('NWB export validated and read back by pynwb 2.3.1', () => {
  it('EEGMMIDB S001R04 (EDF+, 64 ch @ 160 Hz): valid NWB; every sample, the rate, electrodes and annotations as pynwb reads them', async () => {
    const path = await convert(EDF, 'r04.nwb');
    const nwb = pynwbCheck(path);
    expect(nwb.errors).toEqual([]);
    expect(nwb.nwb_version).toBe('2.6.0');
    // The schema is cached in the file as pynwb caches it: found, loaded and validated against.
    expect(nwb.cached_namespaces).toEqual(Object.fromEntries(NWB_SPEC_CACHE.map((n) => [n.name, n.version])));
    expect(nwb.cached_namespaces.core).toMatch(/^2\.6\.0/);
    expect(nwb.cached_validation).toEqual({ errors: [], status: 0 });
    expect(nwb.cached_read).toBe('NWBFile');
    const source = openInput(EDF);
    const info = source.streams[0]!.info;
    expect(nwb.session_start_time).toBe(info.startTime.replace('.000Z', '+00:00'));
    const es = nwb.acquisition.ElectricalSeries!;
    expect(es.type).toBe('ElectricalSeries');
    expect(es.unit).toBe('volts');
    expect(es.conversion).toBe(1e-6);
    expect(es.rate).toBe(160);
    expect(es.starting_time).toBe(0);
    expect(es.timestamps).toBeNull();
    const want = expected(EDF, info.channelNames.map((_, c) => c));
    expect(es.shape).toEqual([want.samples.length, 64]);
    expect(mismatches(es, want.values)).toBe(0);
    // pynwb's volts: the stored µV times the conversion.
    es.volts_row0!.forEach((v, c) => expect(v).toBe(want.values[c]! * 1e-6));
    // Electrodes: one row per channel, the label and the 10-20 location, in the group of the device.
    expect(es.electrodes).toEqual(info.channelNames.map((_, c) => c));
    expect(nwb.electrodes!.columns.label).toEqual([...info.channelNames]);
    expect(nwb.electrodes!.columns.location).toEqual([...info.channelNames]);
    expect(new Set(nwb.electrodes!.columns.group_name)).toEqual(new Set(Object.keys(nwb.electrode_groups)));
    expect(Object.values(nwb.electrode_groups)[0]!.device).toBe(Object.keys(nwb.devices)[0]);
    expect(Object.values(nwb.devices)[0]).toMatch(/BCI2000/);
    // Markers: the 30 annotations (T0/T1/T2 with their durations), start/stop in seconds.
    const markers = nwb.intervals.markers!;
    expect(markers.rows).toBe(source.markers.length);
    expect(markers.columns.type).toEqual(source.markers.map((m) => m.type));
    expect(markers.columns.sample).toEqual(source.markers.map((m) => m.sample));
    expect(markers.columns.start_time).toEqual(source.markers.map((m) => m.sample / 160));
    expect(markers.columns.stop_time).toEqual(source.markers.map((m) => (m.sample + (m.duration ?? 0)) / 160));
    expect(markers.columns.value).toEqual(source.markers.map((m) => JSON.stringify(m.value)));
    expect(JSON.parse(nwb.notes!)).toMatchObject({ software: expect.stringMatching(/^neurostream /), source: { format: expect.stringMatching(/^EDF\+/) } });
    expect(nwb.source_script_file_name).toBe('neurostream');
  }, 180_000);

  it('OpenBCI file with 6 dropped-packet gaps: timestamps on every sample (the gaps kept, not papered over), accelerometer as its own TimeSeries in g', async () => {
    const path = await convert(OPENBCI, 'jordan.nwb', ['--compress']);
    const nwb = pynwbCheck(path);
    expect(nwb.errors).toEqual([]);
    const info = openInput(OPENBCI).streams[0]!.info;
    const eeg = info.channelKinds.flatMap((k, c) => (k === 'eeg' ? [c] : []));
    const accel = info.channelKinds.flatMap((k, c) => (k === 'accel' ? [c] : []));
    const es = nwb.acquisition.ElectricalSeries!;
    const want = expected(OPENBCI, eeg);
    expect(es.rate).toBeNull();
    expect(es.timestamps).toBe(want.samples.length);
    expect(Array.from(es.times!)).toEqual(want.samples.map((s) => s / 250));
    // 365 samples missing in 6 gaps: the timestamps jump there.
    const jumps = Array.from(es.times!).filter((t, i, all) => i > 0 && Math.round((t - all[i - 1]!) * 250) > 1).length;
    expect(jumps).toBe(6);
    expect(mismatches(es, want.values)).toBe(0);
    const acc = nwb.acquisition.accel_g!;
    expect(acc.type).toBe('TimeSeries');
    expect(acc.unit).toBe('g');
    expect(mismatches(acc, expected(OPENBCI, accel).values)).toBe(0);
    expect(nwb.electrodes!.columns.label).toEqual(eeg.map((c) => info.channelNames[c]));
  }, 180_000);

  it('simulated intracortical session (run --fast --record, with features and a decoder): signals, features in ecephys, decoder output and kinematics in behavior, trials with outcomes, provenance', async () => {
    const rec = join(dir, 'sim');
    const run = await runCli(['run', '--fast', '--duration', '5', '--calibrate-s', '2', '--record', rec, '--no-dashboard'], { timeoutMs: 120_000 });
    expect(run.code).toBe(0);
    const path = await convert(rec, 'sim.nwb', ['--compress']);
    const nwb = pynwbCheck(path);
    expect(nwb.errors).toEqual([]);
    expect(nwb.cached_validation).toEqual({ errors: [], status: 0 });
    expect(nwb.cached_read).toBe('NWBFile');
    const source = openInput(rec);
    const recording = source.recording!;
    const info = source.streams[0]!.info;
    const es = nwb.acquisition.ElectricalSeries!;
    expect(es.rate).toBe(info.sampleRateHz);
    const want = expected(rec, info.channelNames.map((_, c) => c));
    expect(es.shape).toEqual([want.samples.length, info.channelNames.length]);
    expect(mismatches(es, want.values)).toBe(0);
    expect(nwb.electrode_groups[Object.keys(nwb.electrode_groups)[0]!]!.location).toBe('unknown');
    // Features: one TimeSeries per family, on the bins' start times, values exact.
    const frames = recording.features();
    expect(frames.length).toBeGreaterThan(100);
    const tc = nwb.processing.ecephys!.threshold_crossings!;
    const sbp = nwb.processing.ecephys!.spike_band_power!;
    const C = info.channelNames.length;
    expect(tc.shape).toEqual([frames.length, C]);
    expect(Array.from(tc.times!)).toEqual(frames.map((f) => f.t0 / info.sampleRateHz));
    expect(mismatches(tc, Float32Array.from(frames.flatMap((f) => Array.from(f.values.subarray(0, C)))))).toBe(0);
    expect(mismatches(sbp, Float32Array.from(frames.flatMap((f) => Array.from(f.values.subarray(C, 2 * C)))))).toBe(0);
    // Decoder outputs, timed by their bins.
    const intents = recording.intents();
    expect(intents.length).toBeGreaterThan(10);
    const out = nwb.processing.behavior!.decoder_output!;
    expect(out.shape).toEqual([intents.length, intents[0]!.values.length]);
    expect(mismatches(out, Float32Array.from(intents.flatMap((i) => Array.from(i.values))))).toBe(0);
    const t0 = new Map(frames.map((f) => [f.bin, f.t0]));
    expect(Array.from(out.times!)).toEqual(intents.map((i) => t0.get(i.bin)! / info.sampleRateHz));
    // Kinematics markers → a TimeSeries (float64, exact); the other markers in the markers table.
    const kinematics = source.markers.filter((m) => m.type === 'kinematics');
    expect(kinematics.length).toBeGreaterThan(100);
    const kin = nwb.processing.behavior!.kinematics!;
    expect(Array.from(kin.values)).toEqual(kinematics.flatMap((m) => m.value as number[]));
    expect(Array.from(kin.times!)).toEqual(kinematics.map((m) => m.sample / info.sampleRateHz));
    const others = source.markers.filter((m) => m.type !== 'kinematics');
    expect(nwb.intervals.markers!.columns.type).toEqual(others.map((m) => m.type));
    // Trials: each target_on until its target_reached, outcome reached.
    const targets = source.markers.filter((m) => m.type === 'target_on');
    const trials = nwb.intervals.trials!;
    expect(trials.rows).toBe(targets.length);
    expect(trials.columns.start_time).toEqual(targets.map((m) => m.sample / info.sampleRateHz));
    expect(trials.columns.condition).toEqual(targets.map((m) => JSON.stringify(m.value)));
    const reached = source.markers.filter((m) => m.type === 'target_reached');
    expect(trials.columns.outcome!.filter((o) => o === 'reached').length).toBe(reached.length);
    // Provenance: the pipeline, the decoder and its online R² (the last decoder-r2 marker).
    const notes = JSON.parse(nwb.notes!) as Record<string, unknown>;
    const r2 = source.markers.filter((m) => m.type === 'decoder-r2');
    expect(notes).toMatchObject({ pipeline: recording.manifest.pipeline, decoder: recording.manifest.decoder });
    if (r2.length > 0) expect(notes.onlineR2).toBe(r2.at(-1)!.value);
    expect(nwb.identifier).toBe(recording.manifest.sessionId);
    expect(nwb.data_collection).toMatch(/30000 Hz/);
    // Reading it back: recording → NWB → recording keeps every sample, marker, feature frame
    // (names, bins, t0, host times, values) and decoder output (bins, values, labels, latencies).
    const back = await runCli(['convert', path, join(dir, 'sim-back')], { timeoutMs: 120_000 });
    expect(back.stderr).not.toMatch(/NS_|error/i);
    expect(back.code).toBe(0);
    const restored = openInput(join(dir, 'sim-back'));
    expect(restored.streams[0]!.info).toEqual(info);
    const got = expected(join(dir, 'sim-back'), info.channelNames.map((_, c) => c));
    expect(got.samples.length).toBe(want.samples.length);
    expect(got.samples.every((s, i) => s === want.samples[i])).toBe(true);
    expect(got.values.length).toBe(want.values.length);
    expect(got.values.every((v, i) => Object.is(v, want.values[i]))).toBe(true);
    expect(restored.markers).toEqual(source.markers);
    expect(restored.recording!.features()).toEqual(frames);
    expect(restored.recording!.intents()).toEqual(intents);
    const described = await runCli(['info', path], { timeoutMs: 60_000 });
    expect(described.code).toBe(0);
    expect(described.stdout).not.toMatch(/NOT KEPT/);
  }, 300_000);

  it('--compress with an OUT that is not .nwb, and an existing OUT, are refused (exit 2, nothing written)', async () => {
    const r = await runCli(['convert', EDF, join(dir, 'x.edf'), '--compress'], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--compress: expected an OUT ending in \.nwb/);
    const again = await runCli(['convert', EDF, join(dir, 'r04.nwb')], { timeoutMs: 60_000 });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/r04\.nwb: expected a new file \(nothing is overwritten\), got "an existing file"/);
  }, 120_000);
});
