/**
 * The liblsl 1.17.7 peer in ../shared/tools/lsl-peer, run with its loopback-only config, and the
 * same loopback settings for neurostream's LSL code. No LSL packet leaves this machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LSL_LOOPBACK_INI } from '../../devices/lsl/lsl-config.js';
import { sharedData } from './shared-data.js';

/** ../shared/tools/lsl-peer, found as the shared recordings are (beside the project, or beside the repository a clone came from). */
export const LSL_PEER_DIR = fileURLToPath(sharedData('../tools/lsl-peer/'));
export const LSL_PEER = join(LSL_PEER_DIR, 'lsl-peer');
/** The peer's config file (discovery to 127.0.0.1 only, no IPv6). */
export const LSL_LOOPBACK_CFG = join(LSL_PEER_DIR, 'loopback.cfg');

/** The loopback settings, spelled out for neurostream's side (same as loopback.cfg). */
export const LOOPBACK_INI = LSL_LOOPBACK_INI;

export interface PeerRun {
  child: ChildProcess;
  /** Every stdout line parsed as JSON, once the peer exits; rejects on a non-zero exit. */
  result: Promise<Record<string, unknown>[]>;
  stderr: () => string;
}

/**
 * Writes a liblsl config into `dir`: the loopback settings of loopback.cfg plus `extra` (e.g.
 * `[tuning]\nUseProtocolVersion = 100`). Returns its path, for {@link runPeer}'s `cfg`.
 */
export function writePeerCfg(dir: string, name: string, extra: string): string {
  const path = join(dir, name);
  writeFileSync(path, `${readFileSync(LSL_LOOPBACK_CFG, 'utf8')}\n${extra}\n`);
  return path;
}

/** Runs `lsl-peer ARGS` with LSLAPICFG set to the loopback config (or `cfg`, which must keep its loopback settings). */
export function runPeer(args: string[], cfg: string = LSL_LOOPBACK_CFG): PeerRun {
  return spawnPeer(LSL_PEER, args, cfg);
}

/**
 * Runs test/helpers/lsl-ctypes-peer.py: an outlet on the same liblsl 1.17.7 (liblsl.so.2 beside
 * lsl-peer) for the formats lsl-peer's `send` lacks. See that file for the values it sends.
 */
export function runCtypesPeer(
  o: { name: string; format: 'int8' | 'int64'; channels: number; rateHz: number; samples: number; chunk: number; huge?: boolean },
  cfg: string = LSL_LOOPBACK_CFG,
): PeerRun {
  const args = [fileURLToPath(new URL('./lsl-ctypes-peer.py', import.meta.url)), join(LSL_PEER_DIR, 'liblsl.so.2'), o.name, o.format, String(o.channels), String(o.rateHz), String(o.samples), String(o.chunk)];
  return spawnPeer('/usr/bin/python3', o.huge ? [...args, 'huge'] : args, cfg);
}

/** The ctypes peer's value for channel c of sample i (exact as a double: within ±2^53). */
export function ctypesPeerValue(format: 'int8' | 'int64', i: number, c: number): number {
  if (format === 'int8') return ((7 * i + 13 * c) % 256) - 128;
  return (((7 * i + 13 * c) % 1000) * 4 - 2000) * 2 ** 40 + 3 * i + c;
}

function spawnPeer(command: string, args: string[], cfg: string): PeerRun {
  const child = spawn(command, args, { env: { ...process.env, LSLAPICFG: cfg }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const result = new Promise<Record<string, unknown>[]>((res, rej) => {
    // A peer that cannot start (not found, not executable) fails its test with the reason, not an uncaught error.
    child.on('error', (error) => rej(new Error(`${command} could not start: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) res(out.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>));
      else rej(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}: ${err}`));
    });
  });
  return { child, result, stderr: () => err };
}

/** The peer's value for channel c of sample i (float formats); integer formats carry 4× it truncated. */
export function peerValue(i: number, c: number): number {
  return ((i * 7 + c * 13) % 1000) - 500 + 0.25 * c;
}
