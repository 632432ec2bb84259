/**
 * EDF / EDF+ / BDF / BDF+ header: parsing and validation (Kemp & Olivan 2003; BioSemi BDF).
 *
 * Layout: 256 fixed bytes, then 256 bytes per signal, every field ASCII, left-justified and
 * space-padded; each per-signal field is stored for all signals before the next field. The
 * version field tells the sample width: `0       ` → EDF (int16), byte 0xFF + `BIOSEMI` → BDF
 * (int24). The reserved field tells EDF+C / EDF+D / BDF+C / BDF+D (plain EDF, or `24BIT` for
 * BioSemi's plain BDF, otherwise).
 *
 * Every error is an `InvalidDataError` naming the file and the field, e.g.
 * `rec.edf header field "number of data records": expected an integer ≥ -1, got "12a"`.
 * Impossible values are errors: numbers that are not finite (`1e999`), a record duration ≤ 0
 * (0 only in annotation-only files), samples per record < 1 or above 1 MHz × the duration,
 * data records over 256 MiB, digital ranges outside the format's 16/24 bits or empty, a physical
 * minimum equal to the maximum.
 * Things the reader can repair (record count -1 or disagreeing with the file size, a trailing
 * partial record) become `notes` instead.
 */
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { InvalidDataError } from '../../core/index.js';

export const EDF_FIXED_HEADER_BYTES = 256;
export const EDF_SIGNAL_HEADER_BYTES = 256;
/** Digital limits of the two sample widths. */
export const EDF_DIGITAL_RANGE = { edf: [-32768, 32767], bdf: [-8388608, 8388607] } as const;
export const EDF_ANNOTATION_LABELS = ['EDF Annotations', 'BDF Annotations'] as const;
/** Most samples per second one signal may declare (the StreamInfo limit). */
export const EDF_MAX_SAMPLE_RATE_HZ = 1e6;
/** Largest data record the reader accepts (it holds at least one in memory). */
export const EDF_MAX_RECORD_BYTES = 256 * 1024 * 1024;

export interface EdfSignalHeader {
  /** Position among the file's signals (annotation signals included). */
  readonly index: number;
  readonly label: string;
  readonly transducer: string;
  readonly dimension: string;
  readonly physicalMin: number;
  readonly physicalMax: number;
  readonly digitalMin: number;
  readonly digitalMax: number;
  readonly prefiltering: string;
  readonly samplesPerRecord: number;
  /** `EDF Annotations` / `BDF Annotations`: carries TALs, not samples. */
  readonly isAnnotation: boolean;
  /** Byte offset of this signal inside a data record. */
  readonly recordOffset: number;
}

export interface EdfHeader {
  readonly file: string;
  readonly bdf: boolean;
  readonly bytesPerSample: 2 | 3;
  /** `EDF`, `EDF+C`, `EDF+D`, `BDF`, `BDF+C`, `BDF+D`. */
  readonly format: string;
  /** EDF+/BDF+ continuity, or null for plain EDF/BDF. */
  readonly plus: 'C' | 'D' | null;
  readonly patient: string;
  readonly recording: string;
  /** Equipment from an EDF+ recording field (`Startdate … admincode technician equipment`), '' if unknown. */
  readonly equipment: string;
  /** Whole-second start of the recording (UTC ms), from the date/time fields and the EDF+ Startdate. */
  readonly startMs: number;
  readonly headerBytes: number;
  /** The header's `number of data records` (-1 while recording). */
  readonly recordCountField: number;
  /** Complete records the file holds (what the reader uses). */
  readonly recordCount: number;
  readonly recordDurationS: number;
  readonly recordBytes: number;
  readonly signals: readonly EdfSignalHeader[];
  readonly notes: readonly string[];
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

function latin1(bytes: Uint8Array, start: number, length: number): string {
  let s = '';
  for (let i = start; i < start + length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** A header field as text, trailing and leading spaces (and NULs some writers leave) removed. */
function field(bytes: Uint8Array, start: number, length: number): string {
  return latin1(bytes, start, length).replace(/\0/g, ' ').trim();
}

function parseNumber(where: string, text: string): number {
  if (!NUMBER.test(text)) throw new InvalidDataError(where, 'a decimal number', text);
  const value = Number(text);
  if (!Number.isFinite(value)) throw new InvalidDataError(where, 'a finite decimal number', text); // 1e999
  return value;
}

function parseInteger(where: string, text: string, min: number): number {
  if (!INTEGER.test(text) || Number(text) < min) throw new InvalidDataError(where, `an integer ≥ ${min}`, text);
  return Number(text);
}

/** `dd-MMM-yyyy` (EDF+ Startdate / birthdate) → [year, month 1-12, day], or null. */
export function parseEdfPlusDate(text: string): [number, number, number] | null {
  const m = /^(\d{2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  if (!m) return null;
  const month = MONTHS.indexOf(m[2]!.toUpperCase()) + 1;
  if (month === 0) return null;
  return [Number(m[3]), month, Number(m[1])];
}

/** `dd-MMM-yyyy` for an EDF+ field. */
export function formatEdfPlusDate(year: number, month: number, day: number): string {
  return `${String(day).padStart(2, '0')}-${MONTHS[month - 1]}-${year}`;
}

/**
 * Parses and validates a complete header (`bytes` holds at least the header; `fileSize` is the
 * whole file's size, to count the records it really holds).
 */
export function parseEdfHeader(bytes: Uint8Array, file: string, fileSize: number): EdfHeader {
  const notes: string[] = [];
  const where = (name: string) => `${file} header field "${name}"`;
  if (bytes.length < EDF_FIXED_HEADER_BYTES) {
    throw new InvalidDataError(`${file} header`, `at least ${EDF_FIXED_HEADER_BYTES} bytes`, `${bytes.length} bytes`);
  }
  let bdf: boolean;
  if (bytes[0] === 0xff && latin1(bytes, 1, 7) === 'BIOSEMI') bdf = true;
  else if (latin1(bytes, 0, 8) === '0       ') bdf = false;
  else {
    const shown = bytes[0] === 0xff ? `0xFF${JSON.stringify(latin1(bytes, 1, 7))}` : latin1(bytes, 0, 8);
    throw new InvalidDataError(where('version'), '"0       " (EDF) or 0xFF"BIOSEMI" (BDF)', shown);
  }
  const patient = field(bytes, 8, 80);
  const recording = field(bytes, 88, 80);
  const dateText = field(bytes, 168, 8);
  const timeText = field(bytes, 176, 8);
  const headerBytes = parseInteger(where('number of bytes in header'), field(bytes, 184, 8), EDF_FIXED_HEADER_BYTES);
  const reserved = field(bytes, 192, 44);
  const recordCountField = parseInteger(where('number of data records'), field(bytes, 236, 8), -1);
  const recordDurationS = parseNumber(where('duration of a data record'), field(bytes, 244, 8));
  if (recordDurationS < 0) throw new InvalidDataError(where('duration of a data record'), 'seconds ≥ 0', field(bytes, 244, 8));
  if (recordDurationS > 0 && recordDurationS < 1 / EDF_MAX_SAMPLE_RATE_HZ) {
    throw new InvalidDataError(where('duration of a data record'), `seconds ≥ ${1 / EDF_MAX_SAMPLE_RATE_HZ} (one sample at ${EDF_MAX_SAMPLE_RATE_HZ} Hz at most)`, field(bytes, 244, 8));
  }
  const ns = parseInteger(where('number of signals'), field(bytes, 252, 4), 1);
  const expectedHeaderBytes = EDF_FIXED_HEADER_BYTES + ns * EDF_SIGNAL_HEADER_BYTES;
  if (headerBytes !== expectedHeaderBytes) {
    throw new InvalidDataError(where('number of bytes in header'), `${expectedHeaderBytes} (256 × (1 + ${ns} signals))`, headerBytes);
  }
  if (bytes.length < headerBytes) {
    throw new InvalidDataError(`${file} header`, `${headerBytes} bytes (${ns} signals)`, `${bytes.length} bytes`);
  }

  // EDF+ / BDF+ continuity.
  const plusMatch = /^(EDF|BDF)\+([CD])/.exec(reserved);
  const plus = plusMatch ? (plusMatch[2] as 'C' | 'D') : null;
  const kind = bdf ? 'BDF' : 'EDF';
  const format = plus ? `${kind}+${plus}` : kind;

  // Start date and time: dd.mm.yy hh.mm.ss; EDF+ `Startdate dd-MMM-yyyy` carries the full year.
  const dm = /^(\d{1,2})[.\-/:](\d{1,2})[.\-/:](\d{2}|yy)$/.exec(dateText);
  if (!dm) throw new InvalidDataError(where('startdate of recording'), 'dd.mm.yy', dateText);
  const tm = /^(\d{1,2})[.:](\d{1,2})[.:](\d{1,2})$/.exec(timeText);
  if (!tm) throw new InvalidDataError(where('starttime of recording'), 'hh.mm.ss', timeText);
  let day = Number(dm[1]);
  let month = Number(dm[2]);
  let year = dm[3] === 'yy' ? Number.NaN : Number(dm[3]);
  year = year >= 85 ? 1900 + year : 2000 + year;
  let equipment = '';
  const rec = recording.split(' ');
  if (rec[0] === 'Startdate') {
    const sd = parseEdfPlusDate(rec[1] ?? '');
    if (sd) {
      if (sd[1] !== month || sd[2] !== day || (Number.isFinite(year) && sd[0] % 100 !== year % 100)) {
        notes.push(`${file}: recording field Startdate ${rec[1]} disagrees with the start date ${dateText}; used the Startdate`);
      }
      [year, month, day] = sd;
    }
    const eq = rec[4];
    if (eq !== undefined && eq !== 'X') equipment = eq.replace(/_/g, ' ');
  }
  if (!Number.isFinite(year)) throw new InvalidDataError(where('startdate of recording'), 'a year (dd.mm.yy, or an EDF+ Startdate when yy)', dateText);
  const hour = Number(tm[1]);
  const minute = Number(tm[2]);
  const second = Number(tm[3]);
  const startMs = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(startMs);
  if (month < 1 || month > 12 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new InvalidDataError(where('startdate of recording'), 'a valid date and time', `${dateText} ${timeText}`);
  }

  // Per-signal fields.
  let p = EDF_FIXED_HEADER_BYTES;
  const column = (width: number): string[] => {
    const out: string[] = [];
    for (let i = 0; i < ns; i++) out.push(field(bytes, p + i * width, width));
    p += width * ns;
    return out;
  };
  const labels = column(16);
  const transducers = column(80);
  const dimensions = column(8);
  const pmins = column(8);
  const pmaxs = column(8);
  const dmins = column(8);
  const dmaxs = column(8);
  const prefilters = column(80);
  const sprs = column(8);
  const [dLow, dHigh] = bdf ? EDF_DIGITAL_RANGE.bdf : EDF_DIGITAL_RANGE.edf;
  const signals: EdfSignalHeader[] = [];
  let recordOffset = 0;
  for (let i = 0; i < ns; i++) {
    const label = labels[i]!;
    const name = (f: string) => `${file} signal ${i} ${JSON.stringify(label)} ${f}`;
    const isAnnotation = (EDF_ANNOTATION_LABELS as readonly string[]).includes(label);
    const samplesPerRecord = parseInteger(name('number of samples in each data record'), sprs[i]!, 1);
    if (recordDurationS > 0 && samplesPerRecord / recordDurationS > EDF_MAX_SAMPLE_RATE_HZ) {
      throw new InvalidDataError(
        name('number of samples in each data record'),
        `at most ${Math.floor(EDF_MAX_SAMPLE_RATE_HZ * recordDurationS)} (${EDF_MAX_SAMPLE_RATE_HZ} samples per second; the "duration of a data record" is ${field(bytes, 244, 8)} s)`,
        sprs[i],
      );
    }
    const physicalMin = parseNumber(name('physical minimum'), pmins[i]!);
    const physicalMax = parseNumber(name('physical maximum'), pmaxs[i]!);
    const dmin = dmins[i]!;
    const dmax = dmaxs[i]!;
    const digitalMin = parseNumber(name('digital minimum'), dmin);
    const digitalMax = parseNumber(name('digital maximum'), dmax);
    if (!isAnnotation) {
      if (!Number.isInteger(digitalMin) || digitalMin < dLow || digitalMin > dHigh) {
        throw new InvalidDataError(name('digital minimum'), `an integer from ${dLow} to ${dHigh}`, dmin);
      }
      if (!Number.isInteger(digitalMax) || digitalMax < dLow || digitalMax > dHigh) {
        throw new InvalidDataError(name('digital maximum'), `an integer from ${dLow} to ${dHigh}`, dmax);
      }
      if (digitalMin >= digitalMax) {
        throw new InvalidDataError(name('digital minimum'), `less than the digital maximum (${dmax})`, dmin);
      }
      if (physicalMin === physicalMax) {
        throw new InvalidDataError(name('physical minimum'), `different from the physical maximum (${pmaxs[i]})`, pmins[i]);
      }
    }
    signals.push({
      index: i,
      label,
      transducer: transducers[i]!,
      dimension: dimensions[i]!,
      physicalMin,
      physicalMax,
      digitalMin,
      digitalMax,
      prefiltering: prefilters[i]!,
      samplesPerRecord,
      isAnnotation,
      recordOffset,
    });
    recordOffset += samplesPerRecord * (bdf ? 3 : 2);
  }
  const recordBytes = recordOffset;
  const ordinary = signals.filter((s) => !s.isAnnotation && s.samplesPerRecord > 0);
  if (recordDurationS === 0 && ordinary.length > 0) {
    throw new InvalidDataError(where('duration of a data record'), 'seconds > 0 (0 only in annotation-only files)', field(bytes, 244, 8));
  }
  if (recordBytes > EDF_MAX_RECORD_BYTES) {
    const largest = signals.reduce((a, b) => (b.samplesPerRecord > a.samplesPerRecord ? b : a));
    throw new InvalidDataError(
      `${file} signal ${largest.index} ${JSON.stringify(largest.label)} number of samples in each data record`,
      `data records of at most ${EDF_MAX_RECORD_BYTES} bytes (all signals together: ${recordBytes} bytes)`,
      String(largest.samplesPerRecord),
    );
  }

  // Records the file really holds.
  const dataBytes = Math.max(0, fileSize - headerBytes);
  const inFile = Math.floor(dataBytes / recordBytes);
  const trailing = dataBytes - inFile * recordBytes;
  if (recordCountField === -1) {
    notes.push(`${file}: header field "number of data records" is -1 (recording not finalised); read the ${inFile} complete records the file holds`);
  } else if (recordCountField !== inFile) {
    notes.push(
      `${file}: header field "number of data records" says ${recordCountField} but the file holds ${inFile} complete records; read ${inFile}`,
    );
  }
  if (trailing > 0) notes.push(`${file}: ignored ${trailing} bytes after the last complete data record`);

  return {
    file,
    bdf,
    bytesPerSample: bdf ? 3 : 2,
    format,
    plus,
    patient,
    recording,
    equipment,
    startMs,
    headerBytes,
    recordCountField,
    recordCount: inFile,
    recordDurationS,
    recordBytes,
    signals,
    notes,
  };
}

/** Reads and parses the header of an EDF/BDF file. */
export function readEdfHeader(path: string): EdfHeader {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const fixed = new Uint8Array(Math.min(size, EDF_FIXED_HEADER_BYTES));
    readSync(fd, fixed, 0, fixed.length, 0);
    if (fixed.length < EDF_FIXED_HEADER_BYTES) return parseEdfHeader(fixed, path, size);
    const nsText = field(fixed, 252, 4);
    const ns = INTEGER.test(nsText) && Number(nsText) >= 1 ? Number(nsText) : 0;
    return parseEdfHeader(readAll(fd, size, ns), path, size);
  } finally {
    closeSync(fd);
  }
}

function readAll(fd: number, size: number, ns: number): Uint8Array {
  const length = Math.min(size, EDF_FIXED_HEADER_BYTES * (ns + 1));
  const bytes = new Uint8Array(length);
  readSync(fd, bytes, 0, length, 0);
  return bytes;
}
