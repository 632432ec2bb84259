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
