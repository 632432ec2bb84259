import type { Marker, SampleBlock } from '../../core/index.js';
import type { SimulatedDevice } from '../../devices/simulators/simulated-device.js';

/** Reads `total` samples in blocks of the given sizes (cycled), returning channel-major data and all markers. */
export function readAll(device: SimulatedDevice, total: number, sizes: readonly number[] = [total]) {
  const channels = device.info.channelNames.length;
  const data = new Float32Array(channels * total);
  const markers: Marker[] = [];
  const blocks: SampleBlock[] = [];
  let k = 0;
  while (device.position < total) {
    const length = Math.min(sizes[k++ % sizes.length]!, total - device.position);
    const block = device.read(length, 0);
    for (let c = 0; c < channels; c++) {
      data.set(block.data.subarray(c * length, (c + 1) * length), c * total + block.first);
    }
    if (block.markers) markers.push(...block.markers);
    blocks.push(block);
  }
  return { data, markers, blocks, channel: (c: number) => data.subarray(c * total, (c + 1) * total) };
}

/** Concatenates consecutive blocks (starting at sample 0) into one channel-major array. */
export function concatBlocks(blocks: readonly SampleBlock[], channels: number): Float32Array {
  const total = blocks.reduce((n, b) => n + b.length, 0);
  const out = new Float32Array(channels * total);
  for (const b of blocks) {
    for (let c = 0; c < channels; c++) out.set(b.data.subarray(c * b.length, (c + 1) * b.length), c * total + b.first);
  }
  return out;
}
