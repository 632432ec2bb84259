/**
 * The hardware sources under the names of the public API: `cyton`, `frameDevice`, `intan`. Each
 * is the driver's own Observable (devices/drivers/), cold: a subscription opens the device, an
 * unsubscription closes it.
 */
import type { Observable } from 'rxjs';
import type { SampleBlock } from '../core/index.js';
import { type CytonSourceOptions, cytonSource } from './drivers/cyton-source.js';
import { type FrameSourceOptions, frameSource } from './drivers/frame-source.js';
import { type IntanSourceOptions, intanSource } from './drivers/intan-source.js';

/**
 * An OpenBCI Cyton (or Cyton+Daisy) on a serial port, e.g. `cyton({ port: '/dev/ttyUSB0' })`:
 * it identifies the board from its banner, sends the channel settings, streams µV (and
 * accelerometer g), and reconnects after a lost link with the missing samples as a gap.
 */
export function cyton(options: CytonSourceOptions): Observable<SampleBlock> {
  return cytonSource(options);
}

/**
 * A device speaking neurostream's frame protocol (docs/frame-protocol.md) on a serial port,
 * e.g. `frameDevice({ port: '/dev/ttyACM0' })`; the device describes its channels and rate.
 */
export function frameDevice(options: FrameSourceOptions): Observable<SampleBlock> {
  return frameSource(options);
}

/**
 * An Intan RHX acquisition program over its TCP command and waveform ports, e.g.
 * `intan({ host: '127.0.0.1', channels: ['A-000', 'A-001'] })`; the rate is RHX's.
 */
export function intan(options: IntanSourceOptions): Observable<SampleBlock> {
  return intanSource(options);
}
