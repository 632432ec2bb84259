/**
 * session.json — the recording directory's manifest: what was recorded, from what, by which
 * software, with which processing, and what went wrong (gaps, notes, failures). It is rewritten
 * atomically (temporary file + rename) at every flush, so a session killed outright leaves a
 * manifest as fresh as its last flush; the Arrow files remain the source of truth for samples.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InvalidDataError, createStreamInfo, type StreamInfo } from '../core/index.js';
import { RECORDING_FORMAT_VERSION } from './arrow/recording-schemas.js';

export const MANIFEST_FILE = 'session.json';
export const SIGNALS_FILE = 'signals.arrows';
export const MARKERS_FILE = 'markers.arrows';
export const FEATURES_FILE = 'features.arrows';
export const INTENTS_FILE = 'intents.arrows';

/** Samples lost before `sample` (the first sample after the gap). */
export interface RecordedGap {
  readonly sample: number;
  readonly missing: number;
  /** `device`: the device lost them; `recorder`: the recorder could not keep up and dropped them. */
  readonly cause: 'device' | 'recorder';
}

export interface RecordedStream {
  readonly file: string;
  readonly info: StreamInfo;
  /** Samples written (gaps excluded). */
  readonly samples: number;
  /** One past the last sample index written (0 when none). */
  readonly endSample: number;
  readonly gaps: readonly RecordedGap[];
}

export type RecordingStatus = 'recording' | 'complete' | 'failed';

export interface SessionManifest {
  readonly format: 'neurostream-recording';
  readonly formatVersion: number;
  readonly sessionId: string;
  readonly softwareVersion: string;
  /** UTC ISO: when the recording began and when this manifest was last written. */
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly status: RecordingStatus;
  readonly streams: readonly RecordedStream[];
  readonly files: { readonly markers?: string; readonly features?: string; readonly intents?: string };
  /** The processing the session ran (replay runs it again), e.g. `{ chain: 'intracortical', mainsHz: 60 }`. */
  readonly pipeline?: Readonly<Record<string, unknown>>;
  /** For converted files: where they came from. */
  readonly source?: { readonly path: string; readonly format: string };
  /** The decoder the session ran, when one did (name, provider …). */
  readonly decoder?: Readonly<Record<string, unknown>>;
  readonly notes: readonly string[];
  /** Why recording stopped early, when it did. */
  readonly error?: string;
}

const gapSchema = z.object({
  sample: z.number().int().min(0),
  missing: z.number().int().min(1),
  cause: z.enum(['device', 'recorder']),
});

const manifestSchema = z.object({
  format: z.literal('neurostream-recording'),
  formatVersion: z.number().int().min(1).max(RECORDING_FORMAT_VERSION),
  sessionId: z.string().min(1),
  softwareVersion: z.string().min(1),
  createdAt: z.string(),
  updatedAt: z.string(),
  status: z.enum(['recording', 'complete', 'failed']),
  streams: z.array(
    z.object({
      file: z.string().regex(/^[\w.-]+\.arrows$/),
      info: z.record(z.string(), z.unknown()),
      samples: z.number().int().min(0),
      endSample: z.number().int().min(0),
      gaps: z.array(gapSchema),
    }),
  ),
  files: z.object({
    markers: z.string().regex(/^[\w.-]+\.arrows$/).optional(),
    features: z.string().regex(/^[\w.-]+\.arrows$/).optional(),
    intents: z.string().regex(/^[\w.-]+\.arrows$/).optional(),
  }),
  pipeline: z.record(z.string(), z.unknown()).optional(),
  source: z.object({ path: z.string(), format: z.string() }).optional(),
  decoder: z.record(z.string(), z.unknown()).optional(),
  notes: z.array(z.string()),
  error: z.string().optional(),
});

/** Reads and validates `dir/session.json`; errors name the file and the path inside it. */
export function readManifest(dir: string): SessionManifest {
  const path = join(dir, MANIFEST_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new InvalidDataError(path, 'a neurostream recording manifest (JSON)', code === 'ENOENT' ? 'no such file — is this a recording directory?' : (error as Error).message);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new InvalidDataError(`${path} at ${at}`, issue.message, at === '(top level)' ? raw : undefined);
  }
  const streams = parsed.data.streams.map((s, i) => {
    try {
      return { ...s, info: createStreamInfo(s.info as never) };
    } catch (error) {
      throw new InvalidDataError(`${path} at streams.${i}.info`, 'a valid StreamInfo', (error as Error).message);
    }
  });
  return { ...parsed.data, format: 'neurostream-recording', streams } as SessionManifest;
}

/** Writes `dir/session.json` atomically (a temporary file renamed over it). */
export function writeManifest(dir: string, manifest: SessionManifest): void {
  const path = join(dir, MANIFEST_FILE);
  const temporary = `${path}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Rewrites `dir/session.json` in place: for a full disk, where no new file can be made. */
export function writeManifestInPlace(dir: string, manifest: SessionManifest): void {
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}
