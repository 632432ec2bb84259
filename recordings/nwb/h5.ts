/**
 * The HDF5 library behind NWB files: h5wasm (the HDF5 C library compiled to WebAssembly, reading
 * and writing the host file system in Node). Its WebAssembly module loads asynchronously, once:
 * `loadH5()` before the first NWB file is opened (`openInputAsync`, `writeNwb` do it), then
 * everything is synchronous. Also the few helpers every NWB object needs (typed groups, text,
 * datasets that grow block by block).
 */
import { randomUUID } from 'node:crypto';
import type { Dataset, Group } from 'h5wasm';

type H5Module = typeof import('h5wasm');

let loaded: H5Module | undefined;
let loading: Promise<H5Module> | undefined;

/** Loads h5wasm's WebAssembly module (once); resolves to the library. */
export function loadH5(): Promise<H5Module> {
  loading ??= import('h5wasm/node').then(async (module) => {
    const h5 = module as unknown as H5Module;
    await h5.ready;
    loaded = h5;
    return h5;
  });
  return loading;
}

/** The library, when `loadH5()` has resolved; otherwise an error saying to await it. */
export function h5(): H5Module {
  if (!loaded) throw new Error('h5wasm is not loaded yet: await loadH5() (or use openInputAsync) before opening an NWB file');
  return loaded;
}

/** Whether `loadH5()` has resolved (NWB files can then be opened synchronously). */
export function h5Loaded(): boolean {
  return loaded !== undefined;
}

/** The attributes every NWB / hdmf-common typed object carries. */
export function setType(object: Group | Dataset, type: string, namespace: 'core' | 'hdmf-common' = 'core'): void {
  object.create_attribute('namespace', namespace);
  object.create_attribute('neurodata_type', type);
  object.create_attribute('object_id', randomUUID());
}

/** A new group with its NWB type. */
export function typedGroup(parent: Group, name: string, type: string, namespace: 'core' | 'hdmf-common' = 'core'): Group {
  const group = parent.create_group(name);
  setType(group, type, namespace);
  return group;
}

/** A scalar variable-length UTF-8 text dataset. */
export function textDataset(parent: Group, name: string, text: string): Dataset {
  return parent.create_dataset({ name, data: text });
}

/** Floats in a `dtype` h5wasm understands. */
export type GrowingDtype = '<f' | '<d' | '<q';

/**
 * A dataset of shape `[rows, columns]` (or `[rows]` when `columns` is undefined) that grows by
 * rows: chunked, resizable (maxshape `[null, …]`), optionally gzip-compressed. Rows are buffered
 * until a whole chunk is filled and written then, so memory stays one chunk whatever the length.
 */
export class GrowingDataset {
  readonly dataset: Dataset;
  private rows = 0;
  private readonly buffer: Float32Array | Float64Array | BigInt64Array;
  private buffered = 0;
  private readonly width: number;

  constructor(
    parent: Group,
    name: string,
    readonly dtype: GrowingDtype,
    readonly columns: number | undefined,
    readonly chunkRows: number,
    compression: number | undefined,
  ) {
    this.width = columns ?? 1;
    const shape = columns === undefined ? [0] : [0, columns];
    const maxshape = columns === undefined ? [null] : [null, columns];
    const chunks = columns === undefined ? [chunkRows] : [chunkRows, columns];
    const empty = dtype === '<f' ? new Float32Array(0) : dtype === '<d' ? new Float64Array(0) : new BigInt64Array(0);
    this.dataset = parent.create_dataset({ name, data: empty, shape, maxshape, chunks, dtype, ...(compression !== undefined ? { compression: 'gzip' as const, compression_opts: compression } : {}) });
    const size = chunkRows * this.width;
    this.buffer = dtype === '<f' ? new Float32Array(size) : dtype === '<d' ? new Float64Array(size) : new BigInt64Array(size);
  }

  /** Rows written or buffered so far. */
  get length(): number {
    return this.rows + this.buffered;
  }

  /** Appends one row (`width` values) through `fill(buffer, offset)`. */
  appendRow(fill: (buffer: Float32Array | Float64Array | BigInt64Array, offset: number) => void): void {
    fill(this.buffer, this.buffered * this.width);
    this.buffered++;
    if (this.buffered === this.chunkRows) this.flush();
  }

  /** Appends a scalar row (1-D datasets). */
  appendValue(value: number): void {
    if (this.buffer instanceof BigInt64Array) this.buffer[this.buffered] = BigInt(value);
    else this.buffer[this.buffered] = value;
    this.buffered++;
    if (this.buffered === this.chunkRows) this.flush();
  }

  /** Writes the buffered rows to the file. */
  flush(): void {
    if (this.buffered === 0) return;
    const end = this.rows + this.buffered;
    this.dataset.resize(this.columns === undefined ? [end] : [end, this.columns]);
    const part = this.buffer.subarray(0, this.buffered * this.width);
    this.dataset.write_slice(this.columns === undefined ? [[this.rows, end]] : [[this.rows, end], []], part);
    this.rows = end;
    this.buffered = 0;
  }
}

/** Rows per chunk so that a chunk holds about `bytes` (NWB's guidance: chunks of roughly 0.1–1 MB). */
export function chunkRowsFor(columns: number, bytesPerValue: number, bytes = 1 << 18): number {
  return Math.max(16, Math.floor(bytes / Math.max(1, columns * bytesPerValue)));
}

/**
 * Appends `length` rows taken from channel-major `data` (channel `c` at `c × length`): row `i`
 * holds `data[channels[k] × length + i]` for each `k` — a SampleBlock's channels as NWB's
 * (time × channels) rows.
 */
export function appendChannelRows(target: GrowingDataset, data: Float32Array, length: number, channels: readonly number[]): void {
  for (let i = 0; i < length; i++) {
    target.appendRow((buffer, offset) => {
      for (let k = 0; k < channels.length; k++) buffer[offset + k] = data[channels[k]! * length + i]!;
    });
  }
}
