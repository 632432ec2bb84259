/**
 * SessionTrialDecoder on the EEG simulator's motor-imagery task: each left/right cue is decoded
 * once its epoch has passed, from the stream band-passed causally — the decoder sees exactly the
 * epoch an offline causal filter of the whole stream gives — and scored against the cue (the
 * running accuracy of the last 20 trials). A gap skips the epochs it crosses; models that cannot
 * decode the stream's trials are refused, naming why.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { designButterworth } from '../../acquisition/filters/butterworth.js';
import { createSosState, sosFilter } from '../../acquisition/filters/sos-filter.js';
import { createSampleBlock, type Intent, type SampleBlock } from '../../core/index.js';
import { Subject } from 'rxjs';
import { ACCURACY_TRIALS, decodeTrials, type Decoder } from '../../decoding/index.js';
import { describeDecoder, sessionGraph } from '../../session/index.js';
import type { DecoderValidation } from '../../decoding/decoder-validation.js';
import { calibrateKalman } from '../../decoding/calibration/kalman-calibration.js';
import { calibrateLda } from '../../decoding/calibration/lda-calibration.js';
import { BuiltinDecoder } from '../../decoding/decoders/builtin-decoder.js';
import { logPowerFeatures } from '../../decoding/evaluation/discrete-evaluation.js';
import { EegSimulator } from '../../devices/simulators/eeg-simulator.js';
import { readEdf } from '../../recordings/edf/edf-reader.js';
import { sharedData } from '../helpers/shared-data.js';

const FS = 250;
const WINDOW: [number, number] = [0.5, 2.5];
const BAND: [number, number] = [8, 30];
const LO = Math.round(WINDOW[0] * FS);
const HI = Math.round(WINDOW[1] * FS);
const T = HI - LO + 1;

/** `seconds` of the 8-channel (or 64-channel) EEG simulator in 0.1 s blocks. */
function simulate(seconds: number, seed: number, channels: 8 | 64 = 8): SampleBlock[] {
  const sim = new EegSimulator({ channels, sampleRateHz: FS, seed });
  return Array.from({ length: seconds * 10 }, () => sim.read(FS / 10, 0));
}

/** The whole stream band-passed causally at once, its cues, and each left/right cue's log-power features. */
function offline(blocks: readonly SampleBlock[]): { cues: { cue: number; label: string; features: Float32Array }[]; C: number } {
  const C = blocks[0]!.info.channelNames.length;
  const N = blocks.reduce((n, b) => n + b.length, 0);
  const x = new Float32Array(C * N);
  for (const b of blocks) for (let c = 0; c < C; c++) x.set(b.data.subarray(c * b.length, (c + 1) * b.length), c * N + b.first);
  const sos = designButterworth({ type: 'bandpass', order: 4, cutoffHz: BAND, sampleRateHz: FS });
  sosFilter(sos, createSosState(sos, C), x, x, C, N);
  const cues: { cue: number; label: string; features: Float32Array }[] = [];
  for (const m of blocks.flatMap((b) => b.markers ?? [])) {
    if (m.type !== 'cue' || (m.value !== 'left' && m.value !== 'right') || m.sample + HI > N - 1) continue;
    const epoch = new Float32Array(C * T);
    for (let c = 0; c < C; c++) epoch.set(x.subarray(c * N + m.sample + LO, c * N + m.sample + HI + 1), c * T);
    cues.push({ cue: m.sample, label: m.value, features: logPowerFeatures(epoch, C, T) as Float32Array });
  }
  return { cues, C };
}

function ldaOn(trials: readonly { label: string; features: Float32Array }[], names: readonly string[]): BuiltinDecoder {
  const C = names.length;
  const X = new Float64Array(trials.length * C);
  trials.forEach((t, i) => X.set(t.features, i * C));
  return new BuiltinDecoder(
    calibrateLda(X, trials.length, C, trials.map((t) => t.label), { shrinkage: 'auto', classes: ['left', 'right'], featureNames: names.map((n) => `${n}:logpower`) }),
  );
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** An EEG session's trial decoding, as the session graph runs it: raw blocks in, intents and validations out. */
class SessionTrialDecoder {
  private readonly input = new Subject<SampleBlock>();
  private readonly graph;
  constructor(options: { info: unknown; decoder: Decoder; windowS: readonly [number, number]; bandHz?: readonly [number, number]; binMs: number; channelMap?: Record<string, string>; onIntent: (i: Intent) => void; onValidation?: (v: DecoderValidation) => void; onError: (e: unknown) => void }) {
    const { decoder, windowS, bandHz, channelMap } = options;
    this.graph = sessionGraph(this.input, { dsp: true, mainsHz: 60, decoding: { calibrateS: 20, decoder, trial: { windowS, ...(bandHz ? { bandHz } : {}) }, ...(channelMap ? { channelMap } : {}) }, onError: options.onError });
    this.graph.intents$.subscribe(({ intent }) => options.onIntent(intent));
    this.graph.validations$.subscribe((v) => options.onValidation?.(v));
    this.graph.connect();
  }
  push(block: SampleBlock): void {
    this.input.next(block);
  }
  status(): string | undefined {
    return describeDecoder(this.graph.decoder())?.status;
  }
  describe(): ReturnType<typeof describeDecoder> {
    return describeDecoder(this.graph.decoder());
  }
  async drain(timeoutMs: number): Promise<void> {
    this.input.complete();
    await this.graph.drained(timeoutMs);
  }
}

describe('trial decoding in the session graph', () => {
  it('decodes each cue from the epoch an offline causal filter gives, and scores it: the running accuracy of the last 20 trials', async () => {
    const train = simulate(400, 11);
    const names = train[0]!.info.channelNames;
    const decoder = ldaOn(offline(train).cues, names);
    const blocks = simulate(400, 12);
    const reference = offline(blocks).cues;
    expect(reference.length).toBeGreaterThan(40);
    const intents: Intent[] = [];
    const validations: DecoderValidation[] = [];
    const trials = new SessionTrialDecoder({
      info: blocks[0]!.info,
      decoder,
      windowS: WINDOW,
      bandHz: BAND,
      binMs: 20,
      onIntent: (i) => intents.push(i),
      onValidation: (v) => validations.push(v),
      onError: (e) => {
        throw e;
      },
    });
    trials.push(blocks[0]!);
    expect(trials.status()).toBe('decoder lda (js): waiting for a cue (left | right)');
    for (const block of blocks.slice(1)) {
      trials.push(block);
      await settle();
    }
    await trials.drain(1000);
    expect(intents.length).toBe(reference.length);
    const hits: boolean[] = [];
    for (let k = 0; k < reference.length; k++) {
      const { cue, label, features } = reference[k]!;
      const expected = await decoder.decode(features);
      expect(Array.from(intents[k]!.values)).toEqual(Array.from(expected));
      expect(intents[k]!.labels).toEqual(['left', 'right']);
      expect(intents[k]!.bin).toBe(Math.floor(((cue + HI) * 1000) / FS / 20));
      hits.push((expected[0]! > expected[1]! ? 'left' : 'right') === label);
      const recent = hits.slice(-ACCURACY_TRIALS);
      expect(validations[k]).toMatchObject({ metric: 'accuracy', sample: cue + HI, trials: recent.length, chance: 0.5 });
      expect(validations[k]!.value).toBeCloseTo(recent.filter(Boolean).length / recent.length, 12);
    }
    // The simulator's imagery desynchronises the contralateral mu/beta: far above chance.
    const accuracy = hits.filter(Boolean).length / hits.length;
    expect(accuracy).toBeGreaterThan(0.8);
    expect(trials.status()).toMatch(new RegExp(`^decoder lda \\(js\\): accuracy \\d\\.\\d\\d \\(\\d+/20 of the last trials, chance 0\\.50; ${hits.filter(Boolean).length}/${hits.length} in all\\), \\d+\\.\\d\\d ms/trial$`));
    expect(trials.describe()).toMatchObject({ kind: 'discrete', outputs: ['left', 'right'], validation: { metric: 'accuracy' } });
  });

  it('skips an epoch that spans a gap in the stream, and says so', async () => {
    const train = simulate(200, 11);
    const decoder = ldaOn(offline(train).cues, train[0]!.info.channelNames);
    const blocks = simulate(60, 12);
    const cue = blocks.flatMap((b) => b.markers ?? []).find((m) => m.value === 'left' || m.value === 'right')!;
    // Lose the block 1 s after that cue (its epoch is 0.5–2.5 s): the stream says so with a gap.
    const at = blocks.findIndex((b) => b.first > cue.sample + FS);
    const lossy = blocks.filter((_, i) => i !== at).map((b, i) => (i === at ? createSampleBlock({ ...b, gap: { missing: blocks[at]!.length } }) : b));
    const intents: Intent[] = [];
    const trials = new SessionTrialDecoder({ info: blocks[0]!.info, decoder, windowS: WINDOW, bandHz: BAND, binMs: 20, onIntent: (i) => intents.push(i), onError: (e) => { throw e; } });
    for (const block of lossy) {
      trials.push(block);
      await settle();
    }
    await trials.drain(1000);
    const all = offline(blocks).cues;
    expect(intents.length).toBe(all.length - 1);
    expect(intents.every((i) => i.bin !== Math.floor(((cue.sample + HI) * 1000) / FS / 20))).toBe(true);
    expect(trials.status()).toMatch(/, 1 skipped \(gap\)$/);
  });

  it("decodes a model whose channels carry EEGMMIDB's own labels (Fc5., T9..) on the 64-channel simulator's FC5, T9 …, by normalised name, or by a channel map", async () => {
    // The labels of a real EEGMMIDB file, in the file's order (the simulator's montage order).
    const fileNames = readEdf(fileURLToPath(sharedData('eeg/eegmmidb/S001/S001R04.edf'))).streams[0]!.info.channelNames;
    expect(fileNames.slice(0, 3)).toEqual(['Fc5.', 'Fc3.', 'Fc1.']);
    const train = simulate(200, 11, 64);
    expect(train[0]!.info.channelNames.slice(0, 3)).toEqual(['FC5', 'FC3', 'FC1']);
    // The model takes the channels in reverse order, so a match by position would decode garbage.
    const reversed = (f: Float32Array): Float32Array => Float32Array.from(f).reverse();
    const trainCues = offline(train).cues.map((t) => ({ ...t, features: reversed(t.features) }));
    const blocks = simulate(120, 12, 64);
    const reference = offline(blocks).cues;
    expect(reference.length).toBeGreaterThan(10);
    const decodeWith = async (names: readonly string[], channelMap?: Record<string, string>): Promise<Intent[]> => {
      const intents: Intent[] = [];
      const trials = new SessionTrialDecoder({ info: blocks[0]!.info, decoder: ldaOn(trainCues, names), windowS: WINDOW, bandHz: BAND, binMs: 20, ...(channelMap ? { channelMap } : {}), onIntent: (i) => intents.push(i), onError: (e) => { throw e; } });
      for (const block of blocks) {
        trials.push(block);
        await settle();
      }
      await trials.drain(1000);
      return intents;
    };
    const byLabel = await decodeWith([...fileNames].reverse());
    const expected = ldaOn(trainCues, [...blocks[0]!.info.channelNames].reverse());
    expect(byLabel.length).toBe(reference.length);
    let hits = 0;
    for (let k = 0; k < reference.length; k++) {
      const want = await expected.decode(reversed(reference[k]!.features));
      expect(Array.from(byLabel[k]!.values)).toEqual(Array.from(want));
      if ((want[0]! > want[1]! ? 'left' : 'right') === reference[k]!.label) hits++;
    }
    expect(hits / reference.length).toBeGreaterThan(0.7);
    // Names that do not normalise to the stream's (an amplifier's `EEG 1` …) are given by a map.
    const generic = fileNames.map((_, i) => `EEG ${i + 1}`);
    const map = Object.fromEntries(generic.map((g, i) => [g, fileNames[i]!]));
    const byMap = await decodeWith([...generic].reverse(), map);
    expect(byMap.map((i) => Array.from(i.values))).toEqual(byLabel.map((i) => Array.from(i.values)));
    expect(() => decodeTrials({ info: blocks[0]!.info, decoder: ldaOn(trainCues, [...generic].reverse()), windowS: WINDOW, binMs: 20 })).toThrow(
      /got 64 of 64 channels missing after normalising case, trailing dots and 10-20 aliases: EEG 64, EEG 63, .*EEG 1$/,
    );
  });

  it('refuses a model that cannot decode the stream’s trials, naming why', () => {
    const info = simulate(1, 1)[0]!.info;
    const names = info.channelNames;
    const make = (decoder: BuiltinDecoder, windowS: readonly [number, number] = WINDOW) => () =>
      decodeTrials({ info, decoder, windowS, binMs: 20 });
    const continuous = new BuiltinDecoder(calibrateKalman(new Float64Array(100 * 8).map((_, i) => Math.sin(i)), new Float64Array(100 * 4).map((_, i) => Math.cos(i)), 100, 8, 4, { featureNames: names.map((n) => `${n}:logpower`), targetNames: ['pos_x', 'pos_y', 'vel_x', 'vel_y'] }));
    expect(make(continuous)).toThrow('--model kalman: expected a discrete (trial) decoder for a stream of cues, got "a continuous decoder"');
    const trials = offline(simulate(100, 3)).cues;
    const elsewhere = ldaOn(trials, names.map((n) => (n === 'C3' ? 'Cz' : n)));
    expect(make(elsewhere)).toThrow(/^--model lda channels: expected channels of the stream \(Fp1, Fp2, C3, C4, P7, P8, O1, O2\); give the pairs with --channel-map FILE .*, got 1 of 8 channels missing after normalising case, trailing dots and 10-20 aliases: Cz$/);
    expect(make(ldaOn(trials, names), [2, 1])).toThrow('--model lda epoch window: expected tmin < tmax, seconds after the cue');
  });
});
