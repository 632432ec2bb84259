/**
 * A replay's source: the recording opened, the session it ran (its manifest's pipeline) filling in
 * what the description leaves out — the processing and the decoder, the model checked by its hash
 * on the provider it ran on — and a paced source that waits for the session's lossless consumers.
 * Given a decoder (`replay --model FILE`, `--decoder kalman|none`), the replay decodes with it
 * instead, exactly as `run` would.
 */
import { InvalidOptionError, checkNumber } from '../core/index.js';
import { openRecording, replaySource, type Recording } from '../recordings/index.js';
import type { HoldBack } from './hold-back.js';
import { SESSION_DEFAULTS, type DecoderDescription, type SessionDescription } from './session-description.js';
import type { OpenedSource, SessionPipeline } from './start-session.js';

export interface OpenedReplay {
  recording: Recording;
  /** The description with the recorded session's processing and decoder filled in. */
  description: SessionDescription;
  /** Opens the paced source (for `startSession`'s `open`). */
  open(holdBack: HoldBack): OpenedSource;
  /** Samples replayed so far, of `totalSamples`. */
  reached(): number;
  totalSamples: number;
}

export interface OpenReplayOptions {
  /**
   * At `speed: 'max'`, reuse the memory of the batches read (ReplayOptions.reuseMemory): for a
   * session whose every consumer of `blocks$` copies what it keeps — the recorder, the chains,
   * the dashboard, the LSL outlets do; the CLI attaches nothing else. A library session with
   * subscribers of its own that keep blocks must leave it off (the default).
   */
  reuseMemory?: boolean;
}

/** Opens the recording a replay description names; see the module description. */
export function openReplay(description: SessionDescription, options: OpenReplayOptions = {}): OpenedReplay {
  const source = description.source;
  if (source.type !== 'replay') throw new InvalidOptionError('source', 'a replay', source.type);
  checkNumber('option', '--block-ms', source.blockMs, { min: 0, exclusiveMin: true, max: 10_000 }); // (from a session file)
  const dir = source.recording;
  const recording = openRecording(dir, source.allowTruncated ? { allowTruncated: true } : {});
  const recorded = recording.manifest.pipeline as Partial<SessionPipeline> | undefined;
  const mainsHz = description.stages.mainsHz ?? recorded?.mainsHz ?? SESSION_DEFAULTS.mainsHz;
  if (mainsHz !== 50 && mainsHz !== 60) throw new InvalidOptionError(`${dir}/session.json pipeline.mainsHz`, '50 or 60', mainsHz);
  const dsp = description.stages.dsp ?? recorded?.dsp ?? SESSION_DEFAULTS.dsp;
  // As recorded: the Kalman filter calibrates again on the replayed stream; the model the session ran, checked by its hash.
  const decoder: DecoderDescription =
    description.decoder ??
    (recorded?.model !== undefined
      ? {
          type: 'onnx',
          model: recorded.model,
          ...(recorded.modelSha256 !== undefined ? { sha256: recorded.modelSha256 } : {}),
          ...(recorded.providers !== undefined ? { providers: recorded.providers as ('cpu' | 'cuda')[] } : {}),
          ...(recorded.channelMap !== undefined ? { channelMap: recorded.channelMap } : {}),
        }
      : recorded?.decoder === 'kalman'
        ? { type: 'kalman', calibrateS: recorded.calibrateS ?? SESSION_DEFAULTS.calibrateS }
        : { type: 'none' });
  const stream = recording.streams[0]!;
  let reached = 0;
  return {
    recording,
    description: { ...description, stages: { dsp, mainsHz, ...(description.stages.workers !== undefined ? { workers: description.stages.workers } : {}) }, decoder },
    totalSamples: stream.endSample,
    reached: () => reached,
    open: (holdBack) => ({
      label: `recording ${dir}`,
      // A consumer slower than the replay (an ONNX model, or the disk of a recording at max speed)
      // holds the replay back rather than drop anything: the replayed intents are then the live
      // ones, and a new recording the old one, bit for bit.
      source: replaySource(recording, {
        speed: source.speed,
        blockMs: source.blockMs,
        onProgress: (end) => (reached = end),
        holdBack: () => holdBack.busy(),
        ...(options.reuseMemory && source.speed === 'max' ? { reuseMemory: true } : {}),
      }),
      completeReason: 'end of recording',
      runsUntilTold: false,
      // The dashboard's state is then `replay` with where it is, never `live`.
      replay: () => ({ positionS: reached / recording.info.sampleRateHz, durationS: stream.endSample / recording.info.sampleRateHz, speed: source.speed }),
    }),
  };
}
