/**
 * Benchmark reports: every result file records the machine, the Node version and the commit, so
 * that figures can be compared and reproduced.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SOFTWARE_VERSION, createStreamInfo, type StreamInfo } from '../core/index.js';

export interface BenchEnvironment {
  date: string;
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  neurostream: string;
  commit: string;
  /**
   * Source files changed since `commit` when it ran (bench/results/ aside): the figures are then
   * not the commit's. Absent when the tree was clean (or not a git checkout).
   */
  uncommitted?: string[];
}

export function benchEnvironment(): BenchEnvironment {
  let commit = 'unknown';
  let uncommitted: string[] = [];
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    uncommitted = status
      .split('\n')
      .map((line) => line.slice(3).trim())
      .filter((file) => file !== '' && !file.startsWith('bench/results/'));
  } catch {
    // Not a git checkout: leave 'unknown'.
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    neurostream: SOFTWARE_VERSION,
    commit,
    ...(uncommitted.length > 0 ? { uncommitted } : {}),
  };
}

export function writeReport(path: string, report: object): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

export interface BenchOptions {
  /** Print the JSON report on stdout instead of the human-readable lines. */
  json: boolean;
}

/** Human-readable progress lines, silenced when the report goes out as JSON. */
export function progress(options: BenchOptions): (line: string) => void {
  return (line) => {
    if (!options.json) process.stdout.write(line);
  };
}

/** Writes the report file and, with --json, prints it. */
export function finish(path: string, report: object, options: BenchOptions): object {
  writeReport(path, report);
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`wrote ${path}\n`);
  return report;
}

/** True when this module is the script node was asked to run. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && url === pathToFileURL(process.argv[1]).href;
}

/** Where a benchmark's JSON goes: bench/results/<name>.json under the current directory. */
export function resultPath(name: string): string {
  return resolve(process.cwd(), 'bench', 'results', `${name}.json`);
}

/** The StreamInfo of a benchmark's synthetic extracellular stream (`ch0001` …, µV). */
export function benchStreamInfo(channels: number, sampleRateHz: number): StreamInfo {
  return createStreamInfo({
    id: 'bench',
    device: { name: 'bench', model: '', serial: '' },
    channelNames: Array.from({ length: channels }, (_, c) => `ch${String(c + 1).padStart(4, '0')}`),
    channelKinds: 'extracellular',
    units: 'uV',
    sampleRateHz,
    startTime: '2026-01-01T00:00:00.000Z',
  });
}
