import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type SampleBlock, ErrorCode, InvalidDataError, InvalidOptionError } from '../../../../core/index.js';
import { openInput } from '../../../../recordings/open-input.js';
import { readSpikeGlx } from '../../../../recordings/import/spikeglx/spikeglx-import.js';
import { thrown } from '../../../helpers/thrown.js';
import { sharedData } from '../../../helpers/shared-data.js';

const BIN = fileURLToPath(sharedData('extracellular/spikeglx/p5_g0_t0.imec0.ap.bin'));
const META = BIN.replace(/\.bin$/, '.meta');
const META_TEXT = readFileSync(META, 'utf8');

const tmp = mkdtempSync(join(tmpdir(), 'spikeglx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let pairs = 0;

/** A .bin/.meta pair in the tmp dir: the meta text given, the bin given as bytes or a link to the real one. */
function pair(metaText: string, bin: Uint8Array | 'real' = 'real'): string {
  const stem = join(tmp, `run${++pairs}_g0_t0.imec0.ap`);
  writeFileSync(`${stem}.meta`, metaText);
  if (bin === 'real') symlinkSync(BIN, `${stem}.bin`);
  else writeFileSync(`${stem}.bin`, bin);
  return `${stem}.bin`;
}

/** The meta text with `key=…` replaced by `key=value` (or removed when value is null). */
function withKey(text: string, key: string, value: string | null): string {
  const line = new RegExp(`^${key}=[^\\r\\n]*(\\r?\\n)?`, 'm');
  expect(line.test(text), key).toBe(true);
  return text.replace(line, (_, end: string | undefined) => (value === null ? '' : `${key}=${value}${end ?? ''}`));
}

/** Every value of a stream, channel-major over the whole stream (channel c at c × total). */
function collect(blocks: Iterable<SampleBlock>, channels: number, total: number): Float32Array {
  const out = new Float32Array(channels * total).fill(NaN);
  let next = 0;
  for (const b of blocks) {
    expect(b.first).toBe(next);
    for (let c = 0; c < channels; c++) out.set(b.data.subarray(c * b.length, (c + 1) * b.length), c * total + b.first);
    next = b.first + b.length;
  }
  expect(next).toBe(total);
  return out;
}

/** The same float32 bits (NaN and −0 included): fast for millions of values. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The µV per count of each AP channel, from the meta's own text: imAiRangeMax / 512 / imroTbl AP gain × 1e6. */
function scalesFromMetaText(text: string): number[] {
  const range = Number(/^imAiRangeMax=([^\r\n]*)/m.exec(text)![1]);
  const imro = /^~imroTbl=([^\r\n]*)/m.exec(text)![1]!;
  const entries = imro.match(/\(([^()]*)\)/g)!.slice(1);
  expect(/^imMaxInt=/m.test(text)).toBe(false); // so 512, the NP1.0 value
  return entries.map((e) => (range / 512 / Number(e.slice(1, -1).split(' ')[3])) * 1e6);
}

describe('readSpikeGlx on a real Neuropixels file (NP1100, 384 AP + SY0, 30 kHz)', () => {
  const C = 385;
  const total = statSync(BIN).size / (2 * C);

  it('reads the channels, rate, scale and size the .meta gives, from the .bin or the .meta', () => {
    expect(total).toBe(5000); // 3 850 000 bytes / (385 × 2)
    for (const path of [BIN, META]) {
      const r = readSpikeGlx(path);
      expect(r.source).toBe(BIN);
      expect(r.format).toBe('SpikeGLX imec ap');
      expect(r.markers).toEqual([]);
      const [s] = r.streams;
      const info = s!.info;
      expect(s!.totalSamples).toBe(total);
      expect(info.sampleRateHz).toBe(30000);
      expect(info.channelNames).toEqual([...Array.from({ length: 384 }, (_, c) => `AP${c}`), 'SY0']);
      expect(info.channelKinds.slice(0, 384).every((k) => k === 'extracellular')).toBe(true);
      expect(info.units.slice(0, 384).every((u) => u === 'uV')).toBe(true);
      expect([info.channelKinds[384], info.units[384], info.adcScale[384], info.adcBits![384]]).toEqual(['aux', 'count', 1, 16]);
      expect(info.adcScale.slice(0, 384)).toEqual(scalesFromMetaText(META_TEXT));
      expect(info.adcScale[0]).toBeCloseTo(2.34375, 12); // 0.6 V / 512 / 500 × 1e6
      expect(info.adcBits!.slice(0, 384).every((b) => b === 10)).toBe(true); // imMaxInt 512: 10 bits
      expect(info.exactCounts).toBe(true);
      expect(info.device).toEqual({ name: 'spikeglx', model: 'Neuropixels NP1100 (probe type 0)', serial: '20088316142' });
    }
  });

  it('gives every value as count × scale, counts read from the bytes independently (Buffer.readInt16LE)', () => {
    const r = readSpikeGlx(BIN);
    const { info } = r.streams[0]!;
    const got = collect(r.streams[0]!.blocks(), C, total);
    const bytes = readFileSync(BIN);
    let mismatches = 0;
    let nonZero = 0;
    for (let t = 0; t < total; t++) {
      for (let c = 0; c < C; c++) {
        const count = bytes.readInt16LE(2 * (t * C + c));
        if (count !== 0) nonZero++;
        if (got[c * total + t] !== Math.fround(count * info.adcScale[c]!)) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
    expect(nonZero).toBeGreaterThan(total * 300); // real signal, not zeros
    // Re-readable, and the same in blocks of any length.
    expect(sameBits(collect(r.streams[0]!.blocks(), C, total), got)).toBe(true);
    const small = readSpikeGlx(BIN, { blockLength: 777 });
    const blocks = [...small.streams[0]!.blocks()];
    expect(blocks.map((b) => b.length)).toEqual([...new Array<number>(6).fill(777), 5000 - 6 * 777]);
    expect(sameBits(collect(blocks, C, total), got)).toBe(true);
    // Bounded: at most 2^20 values a block by default.
    for (const b of r.streams[0]!.blocks()) expect(b.data.length).toBeLessThanOrEqual(1 << 20);
    // A block length asked for beyond 2^24 values is refused, not allocated.
    expect(() => readSpikeGlx(BIN, { blockLength: 50_000 })).toThrow(/blockLength: expected at most 43577 time points \(2²⁴ values, bounded memory\) for 385 channels, got 50000/);
  });

  it('notes the local fileCreateTime taken as UTC, firstSample and the scale; startTime overrides', () => {
    const r = readSpikeGlx(BIN);
    expect(r.streams[0]!.info.startTime).toBe('2020-11-09T18:12:06.000Z');
    expect(r.notes.join('\n')).toMatch(/fileCreateTime 2020-11-09T18:12:06 is the recording machine's local time, with no time zone: written as 2020-11-09T18:12:06\.000Z \(UTC\)/);
    expect(r.notes.join('\n')).toMatch(/firstSample 6390240: sample 0 here is sample 6390240 of the SpikeGLX run/);
    expect(r.notes.join('\n')).toMatch(/imAiRangeMax 0\.6 V \/ imMaxInt 512 \/ gain × 1e6 .*AP gain 500 → 2\.34375 µV per count \(384 ch\)/);
    const given = readSpikeGlx(BIN, { startTime: '2020-11-09T17:12:06.000Z' });
    expect(given.streams[0]!.info.startTime).toBe('2020-11-09T17:12:06.000Z');
    expect(given.notes.join('\n')).toMatch(/start time 2020-11-09T17:12:06\.000Z given by the caller/);
    expect(thrown(() => readSpikeGlx(BIN, { startTime: '2020-11-09 18:12' }))).toBeInstanceOf(InvalidOptionError);
  });

  it('openInput reads a .bin with its .meta, and the .meta; a .bin without one is refused naming the .meta and --protocol', () => {
    expect(openInput(BIN).format).toBe('SpikeGLX imec ap');
    expect(openInput(META).streams[0]!.totalSamples).toBe(total);
    const lone = join(tmp, 'lone.bin');
    writeFileSync(lone, new Uint8Array(770));
    const e = thrown(() => openInput(lone));
    expect(e).toBeInstanceOf(InvalidOptionError);
    expect((e as Error).message).toMatch(/input: expected a SpikeGLX \.bin with its \.meta beside it \(no lone\.meta there\), or a raw device capture with --protocol cyton\|frame/);
    const direct = thrown(() => readSpikeGlx(lone));
    expect((direct as Error).message).toMatch(/lone\.meta is not in /);
    const metaOnly = join(tmp, 'orphan.meta');
    writeFileSync(metaOnly, META_TEXT);
    expect((thrown(() => openInput(metaOnly)) as Error).message).toMatch(/orphan\.bin is not in /);
  });
});

describe('readSpikeGlx refuses a bad pair with one error naming the file, the key, what was expected and seen', () => {
  it('a .meta without imSampRate, or with a garbled one', () => {
    const missing = thrown(() => readSpikeGlx(pair(withKey(META_TEXT, 'imSampRate', null))));
    expect(missing).toBeInstanceOf(InvalidDataError);
    expect((missing as InvalidDataError).code).toBe(ErrorCode.InvalidData);
    expect((missing as Error).message).toMatch(/run\d+_g0_t0\.imec0\.ap\.meta: imSampRate: expected the sample rate in Hz \(a positive number\), got "no imSampRate line"/);
    expect((thrown(() => readSpikeGlx(pair(withKey(META_TEXT, 'imSampRate', '30 kHz')))) as Error).message).toMatch(/imSampRate: expected the sample rate in Hz \(a positive number\), got "30 kHz"/);
    expect((thrown(() => readSpikeGlx(pair(withKey(META_TEXT, 'imAiRangeMax', '0')))) as Error).message).toMatch(/imAiRangeMax: expected the ADC input range in V/);
  });

  it('a .bin of another size than fileSizeBytes: cut short (refused, or read with allowTruncated), or longer', () => {
    const real = readFileSync(BIN);
    const cut = pair(META_TEXT, real.subarray(0, 3_849_000));
    const e = thrown(() => readSpikeGlx(cut));
    expect(e).toBeInstanceOf(InvalidDataError);
    expect((e as Error).message).toMatch(
      /run\d+_g0_t0\.imec0\.ap\.bin: expected 3850000 bytes, as fileSizeBytes in run\d+_g0_t0\.imec0\.ap\.meta says \(5000 samples × 385 channels × 2 bytes\); a file cut short is read only with allowTruncated \(convert --allow-truncated\), got "3849000 bytes \(4998 whole samples \+ 540 bytes\)"/,
    );
    const r = readSpikeGlx(cut, { allowTruncated: true });
    expect(r.streams[0]!.totalSamples).toBe(4998);
    expect(r.format).toMatch(/TRUNCATED/);
    expect(r.notes[0]).toMatch(/^TRUNCATED: .*holds 3849000 of the 3850000 bytes its \.meta says: 4998 of 5000 samples are read \(2 missing at the end, and 540 bytes of a cut sample dropped\)/);
    const whole = collect(readSpikeGlx(BIN).streams[0]!.blocks(), 385, 5000);
    const part = collect(r.streams[0]!.blocks(), 385, 4998);
    let differ = 0;
    for (let c = 0; c < 385; c++) if (!sameBits(part.subarray(c * 4998, (c + 1) * 4998), whole.subarray(c * 5000, c * 5000 + 4998))) differ++;
    expect(differ).toBe(0);
    expect(openInput(cut, { allowTruncated: true }).streams[0]!.totalSamples).toBe(4998);

    const longer = new Uint8Array(real.length + 770);
    longer.set(real);
    expect((thrown(() => readSpikeGlx(pair(META_TEXT, longer), { allowTruncated: true })) as Error).message).toMatch(/expected 3850000 bytes.*the \.meta belongs to another file\?, got "3850770 bytes \(5001 whole samples\)"/);
    expect((thrown(() => readSpikeGlx(pair(withKey(META_TEXT, 'fileSizeBytes', '3850001')))) as Error).message).toMatch(/fileSizeBytes: expected a positive multiple of 770 bytes \(385 channels × 2 bytes per time point\), got 3850001/);
  });

  it('channel tables that do not match: subset vs nSavedChans, snsApLfSy, ~snsChanMap, ~imroTbl', () => {
    expect((thrown(() => readSpikeGlx(pair(withKey(META_TEXT, 'snsSaveChanSubset', '0:382,768')))) as Error).message).toMatch(/snsSaveChanSubset: expected .* 385 in all \(nSavedChans\), got "384 channels \(0:382,768\)"/);
    expect((thrown(() => readSpikeGlx(pair(withKey(META_TEXT, 'snsSaveChanSubset', '0:383,769')))) as Error).message).toMatch(/snsSaveChanSubset: expected acquired channel numbers below 769 \(acqApLfSy=384,384,1\), got "channel 769"/);
    expect((thrown(() => readSpikeGlx(pair(withKey(META_TEXT, 'snsApLfSy', '384,1,0')))) as Error).message).toMatch(/snsApLfSy: expected 384,0,1: the AP, LF, SY channels among snsSaveChanSubset, got "384,1,0"/);
    const chanMap = /^~snsChanMap=[^\r\n]*/m.exec(META_TEXT)![0].replace('(SY0;768:768)', '');
    expect((thrown(() => readSpikeGlx(pair(META_TEXT.replace(/^~snsChanMap=[^\r\n]*/m, chanMap)))) as Error).message).toMatch(/~snsChanMap: expected .*an entry for saved channel 768, got "384 entries, none for it"/);
    const imro = /^~imroTbl=[^\r\n]*/m.exec(META_TEXT)![0].replace('(7 0 0 500 250 1)', '(7 0 0 0 250 1)');
    expect((thrown(() => readSpikeGlx(pair(META_TEXT.replace(/^~imroTbl=[^\r\n]*/m, imro)))) as Error).message).toMatch(/~imroTbl: expected .*entry 7: channel 7, gains > 0, got "\(7 0 0 0 250 1\)"/);
    expect((thrown(() => readSpikeGlx(pair(withKey(META_TEXT, '~imroTbl', null)))) as Error).message).toMatch(/~imroTbl: expected a header \(type,channels\) then 384 entries/);
  });

  it('other stream types and malformed lines', () => {
    expect((thrown(() => readSpikeGlx(pair(withKey(META_TEXT, 'typeThis', 'obx')))) as Error).message).toMatch(/typeThis: expected 'imec' or 'nidq' \(OneBox obx streams are not read yet\), got "obx"/);
    expect((thrown(() => readSpikeGlx(pair(`${META_TEXT}this line has no equals sign\n`))) as Error).message).toMatch(/\.meta: line \d+: expected a key=value line \(SpikeGLX metadata\), got "this line has no equals sign"/);
    expect((thrown(() => readSpikeGlx(pair(`${META_TEXT}imSampRate=30000\n`))) as Error).message).toMatch(/line \d+: expected imSampRate given once, got "a second imSampRate line"/);
    // The real .meta has CRLF line ends (written on Windows); LF ends read the same.
    expect(META_TEXT).toContain('\r\n');
    const crlf = readSpikeGlx(pair(META_TEXT.replace(/\r\n/g, '\n')));
    expect(crlf.streams[0]!.info.channelNames).toEqual(readSpikeGlx(BIN).streams[0]!.info.channelNames);
    expect(crlf.streams[0]!.info.adcScale).toEqual(readSpikeGlx(BIN).streams[0]!.info.adcScale);
  });
});

/** int16 little-endian bytes of `samples` time points: channel c of sample t is counts(t, c). */
function binOf(samples: number, channels: number, counts: (t: number, c: number) => number): Uint8Array {
  const bytes = Buffer.alloc(2 * samples * channels);
  for (let t = 0; t < samples; t++) for (let c = 0; c < channels; c++) bytes.writeInt16LE(counts(t, c), 2 * (t * channels + c));
  return bytes;
}

function metaOf(lines: Record<string, string | number>): string {
  return Object.entries(lines)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

describe('readSpikeGlx on synthetic metas: per-channel gains, saved subsets, LF files, NP2.0 and nidq', () => {
  const counts = (t: number, c: number): number => ((t * 37 + c * 101) % 1000) - 500;

  it('an NP1.0 LF file with a saved subset and per-channel LF gains from ~imroTbl', () => {
    // 4 acquired AP, 4 LF, 1 SY; LF file saving LF channels 0, 2, 3 (acquired 4, 6, 7) and the sync word (8).
    const imro = '(0,4)(0 0 0 500 250 1)(1 0 0 500 50 1)(2 0 0 1000 125 1)(3 0 0 500 2400 0)';
    const text = metaOf({
      typeThis: 'imec', imSampRate: '2500.004', imAiRangeMax: 0.6, imAiRangeMin: -0.6, acqApLfSy: '4,4,1', snsApLfSy: '0,3,1',
      nSavedChans: 4, snsSaveChanSubset: '4,6:8', fileSizeBytes: 2 * 4 * 10, imDatPrb_type: 0, fileCreateTime: '2021-02-03T04:05:06',
      '~imroTbl': imro, '~snsChanMap': '(4,4,1)(LF0;4:0)(LF2;6:1)(LF3;7:2)(SY0;8:3)',
    });
    const r = readSpikeGlx(pair(text, binOf(10, 4, counts)));
    const info = r.streams[0]!.info;
    expect(r.format).toBe('SpikeGLX imec lf');
    expect(info.sampleRateHz).toBe(2500.004);
    expect(info.channelNames).toEqual(['LF0', 'LF2', 'LF3', 'SY0']);
    expect(info.adcScale).toEqual([(0.6 / 512 / 250) * 1e6, (0.6 / 512 / 125) * 1e6, (0.6 / 512 / 2400) * 1e6, 1]);
    const got = collect(r.streams[0]!.blocks(), 4, 10);
    for (let t = 0; t < 10; t++) for (let c = 0; c < 4; c++) expect(got[c * 10 + t]).toBe(Math.fround(counts(t, c) * info.adcScale[c]!));
  });

  it('NP2.0: type 21 gain 80 and imMaxInt 8192 (14 bits), type 2013 gain 100 and 2048, when the meta has neither; imChan0apGain and imMaxInt win where given', () => {
    const base = {
      typeThis: 'imec', imSampRate: 30000, imAiRangeMax: 0.5, acqApLfSy: '2,0,1', snsApLfSy: '2,0,1', nSavedChans: 3,
      snsSaveChanSubset: 'all', fileSizeBytes: 2 * 3 * 5, imDatPrb_type: 21, '~imroTbl': '(21,2)(0 1 0 0)(1 1 0 1)',
    };
    const r = readSpikeGlx(pair(metaOf(base), binOf(5, 3, counts)));
    const info = r.streams[0]!.info;
    expect(info.channelNames).toEqual(['AP0', 'AP1', 'SY0']); // no ~snsChanMap: SpikeGLX's names by type
    expect(info.adcScale).toEqual([(0.5 / 8192 / 80) * 1e6, (0.5 / 8192 / 80) * 1e6, 1]);
    expect(info.adcBits).toEqual([14, 14, 16]);
    expect(r.notes).toContain("no imMaxInt: 8192, SpikeGLX's value for probe type 21");
    expect(r.notes.some((n) => n.startsWith('no ~snsChanMap: channels named by type'))).toBe(true);
    expect(r.notes.some((n) => n.startsWith('no imChan0apGain: AP gain 80'))).toBe(true);
    const given = readSpikeGlx(pair(metaOf({ ...base, imDatPrb_type: 2013, imMaxInt: 2048, imChan0apGain: 100, imAiRangeMax: 0.62 }), binOf(5, 3, counts)));
    expect(given.streams[0]!.info.adcScale.slice(0, 2)).toEqual([(0.62 / 2048 / 100) * 1e6, (0.62 / 2048 / 100) * 1e6]);
    expect(given.streams[0]!.info.adcBits).toEqual([12, 12, 16]);
    // Commercial NP2.0 (2013) without either key: SpikeGLX's IMROTbl_T2013 values, gain 100 and 2048 (12 bits).
    const commercial = readSpikeGlx(pair(metaOf({ ...base, imDatPrb_type: 2013, imAiRangeMax: 0.62 }), binOf(5, 3, counts)));
    expect(commercial.streams[0]!.info.adcScale.slice(0, 2)).toEqual([(0.62 / 2048 / 100) * 1e6, (0.62 / 2048 / 100) * 1e6]);
    expect(commercial.streams[0]!.info.adcBits).toEqual([12, 12, 16]);
    expect((thrown(() => readSpikeGlx(pair(metaOf({ ...base, imDatPrb_type: 9999, imMaxInt: 512 }), binOf(5, 3, counts)))) as Error).message).toMatch(/imChan0apGain: expected the AP gain \(probe type 9999 has no per-channel gains/);
  });

  it('nidq: MN in µV (niMNGain), MA (niMAGain) and XA (gain 1) in V, XD digital words as counts', () => {
    const text = metaOf({
      typeThis: 'nidq', niSampRate: '25000.5', niAiRangeMax: 2.5, niMaxInt: 32768, niMNGain: 200, niMAGain: 2, acqMnMaXaDw: '2,1,1,1',
      snsMnMaXaDw: '2,1,1,1', nSavedChans: 5, snsSaveChanSubset: 'all', fileSizeBytes: 2 * 5 * 8, niDev1ProductName: 'PXIe-6341',
      '~snsChanMap': '(2,1,32,1,1)(MN0C0;0:0)(MN0C1;1:1)(MA0C0;2:2)(XA0;3:3)(XD0;4:4)',
    });
    const r = readSpikeGlx(pair(text, binOf(8, 5, (t, c) => (c === 4 ? (t % 2 === 0 ? -32768 : 0x40) : counts(t, c)))));
    const info = r.streams[0]!.info;
    expect(r.format).toBe('SpikeGLX nidq');
    expect(info.device.model).toBe('SpikeGLX nidq PXIe-6341');
    expect(info.channelNames).toEqual(['MN0C0', 'MN0C1', 'MA0C0', 'XA0', 'XD0']);
    expect(info.channelKinds).toEqual(['extracellular', 'extracellular', 'aux', 'aux', 'aux']);
    expect(info.units).toEqual(['uV', 'uV', 'V', 'V', 'count']);
    expect(info.adcScale).toEqual([(2.5 / 32768 / 200) * 1e6, (2.5 / 32768 / 200) * 1e6, 2.5 / 32768 / 2, 2.5 / 32768, 1]);
    expect(info.adcBits).toEqual([16, 16, 16, 16, 16]);
    const got = collect(r.streams[0]!.blocks(), 5, 8);
    expect(Array.from(got.subarray(4 * 8, 5 * 8))).toEqual([-32768, 64, -32768, 64, -32768, 64, -32768, 64]);
    expect(got[3 * 8 + 1]).toBe(Math.fround(counts(1, 3) * (2.5 / 32768)));
    expect((thrown(() => readSpikeGlx(pair(withKey(text, 'niMNGain', null), binOf(8, 5, counts)))) as Error).message).toMatch(/niMNGain: expected the gain of the MN channels/);
  });
});
