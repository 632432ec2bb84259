/**
 * Session files: every example reads; errors name the file, line, column, path, what was expected
 * and what was seen; `run session.yaml` runs the session it describes (flags typed on the command
 * line win), including a replay.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../core/errors.js';
import { MAX_ALIAS_EXPANSIONS, descriptionFromConfig, loadSessionConfig } from '../../session/index.js';
import { readManifest } from '../../recordings/session-manifest.js';
import { runCli } from '../helpers/cli.js';
import { thrown } from '../helpers/thrown.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ns-config-'));
}

function write(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('session files', () => {
  it('reads every example, one per device, and resolves its paths against the file', () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toEqual(['cyton.yaml', 'eeg.yaml', 'frame.yaml', 'intan.yaml', 'intracortical.yaml', 'lsl.yaml', 'remote-decoder.yaml', 'replay.yaml']);
    const devices = files.map((f) => loadSessionConfig(join(EXAMPLES, f)).config.device.type);
    expect(new Set(devices)).toEqual(new Set(['cyton', 'eeg', 'frame', 'intan', 'intracortical', 'lsl', 'replay']));
    const of = (file: string) => descriptionFromConfig(loadSessionConfig(file).config);
    expect(of(join(EXAMPLES, 'intracortical.yaml'))).toEqual({
      source: { type: 'simulate', kind: 'intracortical', channels: 96, rateHz: 30000, seed: 1, mainsHz: 60, blockMs: 1, fast: false },
      stages: { dsp: true, mainsHz: 60 },
      decoder: { type: 'kalman', calibrateS: 20 },
      outputs: { record: join(EXAMPLES, 'recordings', 'intracortical-session'), dashboard: { port: 8787 }, recordingsDir: 'recordings' },
      durationS: 120,
      statusIntervalS: 1,
    });
    expect(of(join(EXAMPLES, 'cyton.yaml'))).toMatchObject({ source: { type: 'cyton', port: '/dev/ttyUSB0', settings: expect.arrayContaining(['x1060110X', 'x2060110X']) } });
    expect(of(join(EXAMPLES, 'remote-decoder.yaml'))).toMatchObject({
      decoder: { type: 'onnx', model: join(EXAMPLES, 'models', 'kalman.onnx'), oip: { url: 'http://127.0.0.1:8000', model: 'kalman', timeoutMs: 100 } },
    });
    const required = of(write(tempDir(), 'r.yaml', 'device: { type: eeg }\ndecoder: { type: oip, url: "http://x", fallback: m.onnx, required: true }\n'));
    expect(required).toMatchObject({ decoder: { oip: { url: 'http://x', required: true } } });
    expect(of(join(EXAMPLES, 'lsl.yaml'))).toMatchObject({
      source: { type: 'lsl', query: "type='EEG'", markers: ['PsychoPyMarkers'], resolveTimeoutS: 10 },
      outputs: { lslOut: {} },
    });
    expect(of(write(tempDir(), 'o.yaml', 'device: { type: eeg }\noutputs: { lslOut: { name: lab } }\n')).outputs.lslOut).toEqual({ prefix: 'lab' });
    expect(thrown(() => of(write(tempDir(), 'l.yaml', 'device: { type: lsl }\n')))).toMatchObject({ message: expect.stringContaining('device: expected the LSL signal stream: stream: NAME or query') });
    // A replay leaves its processing and decoder to the recording unless the file names them.
    expect(of(join(EXAMPLES, 'replay.yaml'))).toMatchObject({ source: { type: 'replay' }, stages: {} });
    expect(of(join(EXAMPLES, 'replay.yaml')).decoder).toBeUndefined();
    // decoder.channelMap: a file (relative to the session file) or the pairs themselves.
    const mapDir = tempDir();
    expect(of(write(mapDir, 'm.yaml', 'device: { type: eeg, channels: 64 }\ndecoder: { type: onnx, model: mi.onnx, channelMap: map.csv }\n'))).toMatchObject({ decoder: { model: join(mapDir, 'mi.onnx'), channelMap: join(mapDir, 'map.csv') } });
    expect(of(write(mapDir, 'p.yaml', 'device: { type: eeg }\ndecoder: { type: onnx, model: mi.onnx, channelMap: { "EEG 1": C3 } }\n'))).toMatchObject({ decoder: { channelMap: { 'EEG 1': 'C3' } } });
  });

  it('names the file, line, column and path of what is wrong, what was expected and what was seen', () => {
    const dir = tempDir();
    const message = (text: string, name = 'session.yaml'): string => {
      const error = thrown(() => loadSessionConfig(write(dir, name, text)));
      expect(error).toBeInstanceOf(InvalidOptionError);
      return (error as Error).message.replace(`${dir}/`, '');
    };
    expect(message('device:\n  type: intracortical\n  channels: 2000\n')).toBe('session.yaml:3:13 device.channels: expected a number ≤ 1024, got 2000');
    expect(message('device:\n  type: holodeck\n')).toBe('session.yaml:2:9 device.type: expected one of "intracortical", "eeg", "cyton", "frame", "intan", "lsl", "replay", got "holodeck"');
    expect(message('device:\n  type: cyton\n')).toBe('session.yaml:2:3 device.port: expected a string, got "nothing"');
    expect(message('device: { type: eeg }\ndecoder:\n  type: onnx\n  model: 42\n')).toBe('session.yaml:4:10 decoder.model: expected a string, got 42');
    expect(message('device: { type: eeg }\nstages:\n  mains: 55\n')).toBe('session.yaml:3:10 stages.mains: expected one of 50, 60, got 55');
    expect(message('device: { type: eeg }\noutputs:\n  dashbord: false\n')).toBe('session.yaml:3:3 outputs.dashbord: expected a known setting (docs/session-config.md lists them), got "an unknown setting \\"dashbord\\""');
    expect(message('device: { type: eeg }\noutputs:\n  dashboard: true\n')).toBe('session.yaml:3:14 outputs.dashboard: expected false (no dashboard), or { port, host } (the dashboard, the stream API and /metrics share it), got true');
    expect(message('device: { type: eeg }\ndecoder: { type: oip, url: "http://x" }\n')).toMatch(/^session\.yaml:2:10 decoder\.fallback: expected a string, got "nothing"$/);
    expect(message('device: { type: eeg }\ndecoder: { type: oip, url: "http://x", fallback: m.onnx, required: "yes" }\n')).toBe('session.yaml:2:68 decoder.required: expected true or false, got "yes"');
    expect(message('device:\n  type: eeg\n   channels: 8\n')).toBe('session.yaml:2:9: expected valid YAML or JSON, got "Nested mappings are not allowed in compact mappings"');
    expect(message('{"device": {"type": "eeg", "seed": 1.5}}', 'session.json')).toBe('session.json:1:36 device.seed: expected an integer, got 1.5');
    expect(message('- just a list\n')).toBe("session.yaml:1:1 (the file): expected a mapping (key: value), got an array of 1");
    expect((thrown(() => loadSessionConfig(join(dir, 'missing.yaml'))) as Error).message).toMatch(/^session config: expected a readable YAML or JSON file, got ".*missing\.yaml \(ENOENT\)"$/);
  });

  it('refuses a YAML alias bomb in one line with exit 2, and reads a file with a few aliases', async () => {
    const dir = tempDir();
    // "Billion laughs": nine levels of nine aliases each expand to 9^9 strings.
    const levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    const names = 'abcdefghi';
    for (let i = 1; i < names.length; i++) levels.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(', ')}]`);
    const bomb = write(dir, 'bomb.yaml', `${levels.join('\n')}\ndevice: { type: eeg }\nduration: *i\n`);
    const r = await runCli(['run', bomb], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`neurostream: ${bomb}: expected YAML whose aliases (*name) expand to at most ${MAX_ALIAS_EXPANSIONS} copies, got "aliases that expand further (an alias bomb?)" [NS_INVALID_OPTION]\n`);

    const ok = write(dir, 'ok.yaml', 'device: { type: eeg, seed: &s 7 }\nduration: *s\n');
    expect(loadSessionConfig(ok).config).toMatchObject({ device: { type: 'eeg', seed: 7 }, duration: 7 });
  });

  it('runs the session a file describes, flags typed on the command line winning; exit 2 for a bad file', async () => {
    const dir = tempDir();
    const config = write(
      dir,
      'session.yaml',
      ['device:', '  type: intracortical', '  channels: 8', '  seed: 4', 'decoder:', '  type: none', 'outputs:', '  recording: rec', '  dashboard: false', 'duration: 30'].join('\n'),
    );
    const r = await runCli(['run', config, '--duration', '1.5'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stopped \(duration reached\) after [\d.]+ s: 45000 samples\/ch/);
    expect(r.stdout).not.toContain('dashboard');
    expect(readManifest(join(dir, 'rec')).status).toBe('complete');
    // The recording it made, replayed from a file of its own.
    const replay = write(dir, 'replay.yaml', ['device:', '  type: replay', '  recording: rec', '  speed: max', 'outputs:', '  dashboard: false'].join('\n'));
    const p = await runCli(['run', replay], { timeoutMs: 30_000 });
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/stopped \(end of recording\)/);
    const bad = write(dir, 'bad.yaml', 'device:\n  type: intracortical\n  rate: -5\n');
    const b = await runCli(['run', bad]);
    expect(b.code).toBe(2);
    expect(b.stderr).toBe(`neurostream: ${bad}:3:9 device.rate: expected a number > 0, got -5 [NS_INVALID_OPTION]\n`);
  }, 60_000);
});
