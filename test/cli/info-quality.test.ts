/**
 * `neurostream info FILE` summarises signal quality per neural channel: on the Jordan OpenBCI
 * recording, EXG3–EXG8 are railed then flat from the start and EXG1/EXG2 rail near the end.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { sharedData } from '../helpers/shared-data.js';

const JORDAN = fileURLToPath(sharedData('eeg/openbci/OpenBCI_2016-02-13_Jordan_focus.txt'));
const V6 = fileURLToPath(sharedData('eeg/openbci/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt'));

interface Q {
  channel: string;
  seconds: Record<'railed' | 'flat' | 'line-noise' | 'ok', number>;
  lineNoiseDbMedian: number | null;
  firstRailedS?: number;
  firstFlatS?: number;
}

describe('neurostream info: signal quality per channel', () => {
  it('Jordan: dead channels railed then flat, EXG1/EXG2 railed from 116 s (JSON and text)', async () => {
    const r = await runCli(['info', JORDAN, '--json']);
    expect(r.code).toBe(0);
    const q = (JSON.parse(r.stdout) as { streams: { quality: { mainsHz: number; channels: Q[] } }[] }).streams[0]!.quality;
    expect(q.mainsHz).toBe(60);
    expect(q.channels.map((c) => c.channel)).toEqual(['EXG1', 'EXG2', 'EXG3', 'EXG4', 'EXG5', 'EXG6', 'EXG7', 'EXG8']);
    const by = new Map(q.channels.map((c) => [c.channel, c]));
    for (const ch of ['EXG3', 'EXG5', 'EXG6', 'EXG8']) {
      expect(by.get(ch)!.firstRailedS).toBe(0);
      expect(by.get(ch)!.seconds.railed).toBeGreaterThan(10);
      expect(by.get(ch)!.seconds.flat).toBeGreaterThan(100);
      expect(by.get(ch)!.seconds.ok).toBeLessThan(6);
    }
    for (const ch of ['EXG1', 'EXG2']) {
      expect(by.get(ch)!.firstRailedS).toBeGreaterThan(110);
      expect(by.get(ch)!.seconds.flat).toBe(0);
    }
    const text = await runCli(['info', JORDAN]);
    expect(text.stdout).toMatch(/signal quality \(1 s windows; line noise = 60 Hz vs 1–40 Hz power\):/);
    expect(text.stdout).toMatch(/EXG3 +railed +1\d s +flat +10\d s .*\(first railed at 0 s, first flat at 1\d s\)/);
  });

  it('the GUI v6 recording has 60 Hz hum on every channel; with --mains 50 it has none', async () => {
    const hum = JSON.parse((await runCli(['info', V6, '--json'])).stdout) as { streams: { quality: { channels: Q[] } }[] };
    for (const c of hum.streams[0]!.quality.channels) {
      expect(c.seconds['line-noise']).toBeGreaterThan(80);
      expect(c.lineNoiseDbMedian!).toBeGreaterThan(5);
    }
    const r50 = await runCli(['info', V6, '--json', '--mains', '50']);
    const fifty = JSON.parse(r50.stdout) as { streams: { quality: { mainsHz: number; channels: Q[] } }[] };
    expect(fifty.streams[0]!.quality.mainsHz).toBe(50);
    for (const c of fifty.streams[0]!.quality.channels) expect(c.seconds['line-noise']).toBeLessThan(10);
    const bad = await runCli(['info', V6, '--mains', '55']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--mains.*50, 60.*55/);
  });
});
