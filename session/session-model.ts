/**
 * A session's ONNX decoder, ready before the device starts (a bad file fails fast): the model
 * loaded on the first execution provider that works, checked against the hash a replayed session
 * recorded, with its trial epochs (if it is a trial decoder), and — with `oip` — the remote server
 * it runs on, the local model as its fallback.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { InvalidOptionError, checkOneOf } from '../core/index.js';
import { ONNX_PROVIDERS, OnnxDecoder, type Decoder, type OnnxProvider } from '../decoding/index.js';
import { readEpochMetadata, type EpochMetadata } from '../decoding/onnx/onnx-convention.js';
import { OipDecoder } from '../decoding/oip/oip-decoder.js';
import type { OnnxDecoderDescription } from './session-description.js';
import { oipTokenFromEnv } from './oip-token-env.js';
import type { SessionLog, SessionNotify } from './session-notice.js';

export interface SessionModel {
  /** The decoder the session runs: the remote one (with the local fallback) or the local model. */
  decoder: Decoder;
  local: OnnxDecoder;
  /** Absolute path and sha256 of the model file. */
  path: string;
  sha256: string;
  /** A trial decoder's epochs (from the model's metadata). */
  trial?: EpochMetadata;
  dispose(): Promise<void>;
}

/** Reads the OIP token a description names (before anything is loaded: a missing one fails fast). */
export function oipTokenOf(description: OnnxDecoderDescription, env: NodeJS.ProcessEnv): string | undefined {
  return description.oip?.tokenEnv !== undefined ? oipTokenFromEnv(description.oip.tokenEnv, env) : undefined;
}

/** Loads the model (and connects its OIP server) a description names; see the module description. */
export async function loadSessionModel(description: OnnxDecoderDescription, notify: SessionNotify, log: SessionLog, oipToken?: string): Promise<SessionModel> {
  const { model: path, providers: list, sha256: expectSha256 } = description;
  list?.forEach((p, i) => checkOneOf('option', `--providers[${i}]`, p, ONNX_PROVIDERS));
  const absolute = resolve(path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(absolute);
  } catch (error) {
    throw new InvalidOptionError('--model', 'a readable ONNX file', `${absolute} (${(error as { code?: string }).code ?? (error as Error).message})`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const unavailable: string[] = [];
  if (expectSha256 !== undefined && sha256 !== expectSha256) {
    throw new InvalidOptionError(`--model ${absolute}`, `the model the session ran (sha256 ${expectSha256.slice(0, 12)}…)`, `a file that changed since (sha256 ${sha256.slice(0, 12)}…)`);
  }
  const local = await OnnxDecoder.load(new Uint8Array(bytes), {
    label: absolute,
    ...(list ? { providers: list as OnnxProvider[] } : {}),
    log: (event) => {
      if (event.type === 'provider-unavailable') {
        log.info({ provider: event.provider, reason: event.reason }, 'execution provider unavailable');
        // Asked for by name: a note. The default list's CUDA probe is reported with the choice.
        if (list) notify({ kind: 'note', text: `execution provider ${event.provider} unavailable for ${path}: ${event.reason.split('\n')[0]}; trying the next` });
        else unavailable.push(`${event.provider} unavailable: ${event.reason.split('\n')[0]}`);
      } else {
        log.info({ provider: event.provider }, 'execution provider selected');
        notify({ kind: 'model', text: `model ${basename(absolute)} runs on ${event.provider}${unavailable.length > 0 ? ` (${unavailable.join('; ')})` : ''}` });
      }
    },
  });
  let trial: EpochMetadata | undefined;
  try {
    trial = readEpochMetadata(local.metadata, absolute);
  } catch (error) {
    await local.dispose();
    throw error;
  }
  const oip = description.oip;
  // Remote decoding: checked (server ready, model known, same shape as the fallback) before the device starts.
  const remote = oip
    ? await OipDecoder.connect({
        url: oip.url,
        model: oip.model ?? basename(absolute).replace(/\.onnx$/i, ''),
        timeoutMs: oip.timeoutMs,
        fallback: local,
        requireServer: oip.required,
        ...(oipToken !== undefined ? { token: oipToken } : {}),
        log: (event) => {
          if (event.type === 'connected' || event.type === 'retry-failed') log.info(event, `model server ${event.type}`);
          else log.warn(event, `model server ${event.type}`);
          if (event.type === 'fallback') {
            notify({ kind: 'warning', text: `model server ${event.url} (${event.model}) ${event.reason}: decoding locally with ${event.fallback} until it answers again` });
          } else if (event.type === 'recovered') {
            notify({ kind: 'note', text: `model server ${event.url} (${event.model}) answers again after ${(event.afterMs / 1000).toFixed(1)} s (${event.bins} bins decoded locally meanwhile)` });
          } else if (event.type === 'incompatible') {
            notify({ kind: 'warning', text: `model server ${event.url} (${event.model}) answers, but its model does not match --model (${event.reason}): decoding stays local for this session` });
          }
        },
      }).catch(async (error: unknown) => {
        await local.dispose();
        throw error;
      })
    : undefined;
  const decoder = remote ?? local;
  return { decoder, local, path: absolute, sha256, ...(trial ? { trial } : {}), dispose: () => decoder.dispose() };
}
