import { firstValueFrom, take, tap, timeout, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { intanSource } from '../../../devices/drivers/intan-source.js';
import { IntanRhxEmulator } from '../../../devices/emulators/intan-rhx-emulator.js';
import { IntracorticalSimulator } from '../../../devices/simulators/intracortical-simulator.js';
import { readAll } from '../../helpers/read-all.js';
import { waitFor } from '../../helpers/wait-for.js';

let rhx: IntanRhxEmulator | undefined;
afterEach(async () => {
  await rhx?.stop();
  rhx = undefined;
});

describe('intanSource against the RHX emulator on loopback', () => {
  it('enables the channels, starts the run and delivers their samples in µV on the RHX clock', async () => {
    rhx = new IntanRhxEmulator({ commandPort: 0, waveformPort: 0, channels: 160, sampleRateHz: 30000, seed: 4 });
    const ports = await rhx.start();
    // Asked out of order: RHX streams port A before B, by index; the stream says so.
    const blocks = await firstValueFrom(
      intanSource({ host: '127.0.0.1', ...ports, channels: ['B-001', 'A-005', 'A-000'] }).pipe(take(60), toArray(), timeout(20_000)),
    );
    expect(rhx.running).toBe(true);
    expect(blocks[0]!.info.channelNames).toEqual(['A-000', 'A-005', 'B-001']);
    expect(blocks[0]!.info.sampleRateHz).toBe(30000);
    // RHX's amplifier samples are 16-bit: signal quality's full scale is 0.195 µV × 2^15.
    expect(blocks[0]!.info.adcBits).toEqual([16, 16, 16]);
    let next = blocks[0]!.first;
    for (const b of blocks) {
      expect(b.length).toBe(128);
      expect(b.first).toBe(next);
      next += 128;
    }
    const truth = readAll(new IntracorticalSimulator({ channels: 160, sampleRateHz: 30000, seed: 4 }), next);
    [0, 5, 129].forEach((source, c) => {
      for (const b of blocks) {
        for (let i = 0; i < 128; i += 5) {
          expect(Math.abs(b.data[c * 128 + i]! - truth.channel(source)[b.first + i]!)).toBeLessThan(1e-3);
        }
      }
    });
  });

  it('plays a loop of the simulator when asked (loopS): the clock keeps counting, the signals repeat', async () => {
    rhx = new IntanRhxEmulator({ commandPort: 0, waveformPort: 0, channels: 160, sampleRateHz: 30000, seed: 4, loopS: 0.1 });
    const ports = await rhx.start();
    const blocks = await firstValueFrom(intanSource({ host: '127.0.0.1', ...ports, channels: ['A-000', 'B-001'] }).pipe(take(60), toArray(), timeout(20_000)));
    const period = 23 * 128; // round(0.1 s × 30 kHz / 128) blocks
    let next = blocks[0]!.first;
    for (const b of blocks) {
      expect(b.first).toBe(next);
      next += 128;
    }
    expect(next).toBeGreaterThan(2 * period);
    const truth = readAll(new IntracorticalSimulator({ channels: 160, sampleRateHz: 30000, seed: 4 }), period);
    [0, 129].forEach((source, c) => {
      for (const b of blocks) {
        for (let i = 0; i < 128; i += 3) {
          expect(Math.abs(b.data[c * 128 + i]! - truth.channel(source)[(b.first + i) % period]!)).toBeLessThan(1e-3);
        }
      }
    });
    expect(() => new IntanRhxEmulator({ loopS: 0 })).toThrow("loopS: expected a finite number from 0.1 to 60, got 0");
  });

  it('reads blocks whose timestamps were corrupted once (forward and back) as corrupt, kept in their slots: no gap, no stretch, the stream goes on', async () => {
    // Blocks 20 and 40 of the run come with their 128 timestamps XORed: 20 × 128 = 2560 jumps forward
    // by 2^20, 40 × 128 = 5120 (bit 12 set) falls back by 4096. Before, the first became a gap of
    // 2^20 samples and the second ended the stream ("the run was restarted").
    rhx = new IntanRhxEmulator({ commandPort: 0, waveformPort: 0, channels: 8, sampleRateHz: 30000, seed: 9, timestampFaults: [{ block: 20, xor: 1 << 20 }, { block: 40, xor: 1 << 12 }] });
    const ports = await rhx.start();
    let corrupt = 0;
    const blocks = await firstValueFrom(
      intanSource({ host: '127.0.0.1', ...ports, channels: ['A-000', 'A-003'], onParser: (s) => (corrupt = s.corruptBlocks) }).pipe(take(60), toArray(), timeout(20_000)),
    );
    expect(blocks[0]!.first).toBe(0); // the run's first block: the faults fall within these 60
    blocks.forEach((b, k) => {
      expect(b.first).toBe(k * 128);
      expect(b.gap).toBeUndefined();
    });
    expect(corrupt).toBe(2);
    // The corrupt blocks' samples are the device's own, in their slots.
    const truth = readAll(new IntracorticalSimulator({ channels: 8, sampleRateHz: 30000, seed: 9 }), 60 * 128);
    for (const k of [19, 20, 21, 40]) {
      for (let i = 0; i < 128; i += 7) expect(Math.abs(blocks[k]!.data[128 + i]! - truth.channel(3)[k * 128 + i]!)).toBeLessThan(1e-3);
    }
  });

  it('ends the stream, rather than deliver misframed data, when another client changes the outputs', async () => {
    rhx = new IntanRhxEmulator({ commandPort: 0, waveformPort: 0, channels: 16 });
    const ports = await rhx.start();
    const { connect } = await import('node:net');
    let blocks = 0;
    const stream = firstValueFrom(intanSource({ host: '127.0.0.1', ...ports, channels: ['A-001'] }).pipe(tap(() => blocks++), toArray(), timeout(20_000)));
    await waitFor(() => blocks > 0, 'the first block of the run'); // streaming: the outputs are now changed under a running stream
    const other = connect({ host: '127.0.0.1', port: ports.commandPort });
    other.write('set a-002.tcpdataoutputenabled true');
    try {
      await expect(stream).rejects.toThrow(/does not match the 1 channels enabled/);
    } finally {
      other.destroy();
    }
  });

  it('stops the run when unsubscribed', async () => {
    rhx = new IntanRhxEmulator({ commandPort: 0, waveformPort: 0, channels: 8 });
    const ports = await rhx.start();
    await firstValueFrom(intanSource({ host: '127.0.0.1', ...ports, channels: ['A-001'] }).pipe(take(2), toArray(), timeout(20_000)));
    await waitFor(() => !rhx!.running, 'the emulator to be told to stop running');
    expect(rhx.running).toBe(false);
  });

  it('reports a refused connection, a refused channel and bad options clearly', async () => {
    await expect(firstValueFrom(intanSource({ host: '127.0.0.1', commandPort: 1, channels: ['A-000'] }))).rejects.toThrow(
      /^127\.0\.0\.1:1: cannot connect to Intan RHX's command port: ECONNREFUSED — is RHX running with Remote TCP Control connected\?$/,
    );
    rhx = new IntanRhxEmulator({ commandPort: 0, waveformPort: 0, channels: 8 });
    const ports = await rhx.start();
    await expect(firstValueFrom(intanSource({ host: '127.0.0.1', ...ports, channels: ['A-020'] }))).rejects.toThrow(
      /RHX refused "set a-020.tcpdataoutputenabled true": Error - Unrecognized channel a-020/,
    );
    expect(() => intanSource({ host: '127.0.0.1', channels: ['X-1'] })).toThrow(
      'channels[0]: expected an amplifier channel name such as A-000 (ports A–H, 000–127), got "X-1"',
    );
    expect(() => intanSource({ host: '127.0.0.1', channels: ['A-128'] })).toThrow('channels[0]');
    expect(() => intanSource({ host: '127.0.0.1', channels: ['A-001', 'a-001'] })).toThrow('channels[1]: expected each channel once, got "a-001"');
  });
});
