/**
 * The live Recorder's worker thread: owns a RecordingWriter, so batching, Arrow encoding and
 * disk writes (which may block on a slow disk) never run on the acquisition thread. Messages
 * come from recorder.ts; progress goes back every `progressMs` and when anything changes state.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createFeatureFrame, createSampleBlock, createStreamInfo, type Intent, type Marker, type StreamInfo } from '../core/index.js';
import { RecordingWriter, type RecordingWriterOptions } from './recording-writer.js';

export interface RecorderWorkerData {
  dir: string;
  info: StreamInfo;
  writer: Omit<RecordingWriterOptions, 'info'>;
  flushIntervalMs: number;
  progressMs: number;
}

export type RecorderCommand =
  /** Samples staged by BlockAssembler: channel c's sample i at `data[c * capacity + i]`; the buffer goes back after use. */
  | { t: 'chunk'; first: number; length: number; capacity: number; data: Float32Array<ArrayBuffer>; hostTime: number; missing?: number; markers?: Marker[]; bytes: number }
  | { t: 'features'; bin: number; t0: number; hostTime: number; values: Float32Array; names?: string[]; bytes: number }
  | { t: 'intent'; intent: Intent; bytes: number }
  | { t: 'markers'; markers: Marker[]; bytes: number }
  | { t: 'note'; text: string }
  | { t: 'decoder'; decoder: Record<string, unknown> }
  | { t: 'close' };

/** A chunk's buffer going back to the pool, with the bytes taken off the queue so far. */
export interface RecorderRecycleMessage {
  t: 'recycle';
  data: Float32Array<ArrayBuffer>;
  consumed: number;
}

export interface RecorderProgressMessage {
  t: 'progress' | 'closed' | 'failed' | 'started';
  /** Bytes of commands taken off the queue so far. */
  consumed: number;
  samples: number;
  bytesWritten: number;
  batches: number;
  error?: string;
  reason?: string;
}

const port = parentPort!;
const data = workerData as RecorderWorkerData;
let writer: RecordingWriter | undefined;
let consumed = 0;
let reportedFailure = false;
let featureNames: readonly string[] = [];

function report(t: RecorderProgressMessage['t']): void {
  const progress = writer?.progress;
  const message: RecorderProgressMessage = {
    t,
    consumed,
    samples: progress?.samples ?? 0,
    bytesWritten: progress?.bytes ?? 0,
    batches: progress?.batches ?? 0,
  };
  const failure = writer?.failed;
  if (failure) {
    message.error = failure.message;
    if (failure.reason) message.reason = failure.reason;
  }
  port.postMessage(message);
}

function checkFailure(): void {
  if (writer?.failed && !reportedFailure) {
    reportedFailure = true;
    report('failed');
  }
}

try {
  writer = new RecordingWriter(data.dir, { ...data.writer, info: createStreamInfo(data.info) });
  report('started');
} catch (error) {
  port.postMessage({ t: 'failed', consumed: 0, samples: 0, bytesWritten: 0, batches: 0, error: (error as Error).message } satisfies RecorderProgressMessage);
  process.exit(0);
}
const recording = writer!;
const info = recording.info;

// Full batches flush themselves; this only catches a slow or stalled stream, so batches stay
// long (never a cut every interval) and nothing waits longer than the interval for the disk.
const flushTimer = setInterval(() => {
  recording.flushIfOlderThan(data.flushIntervalMs * 0.75);
  checkFailure();
}, data.flushIntervalMs / 4);
const progressTimer = setInterval(() => report('progress'), data.progressMs);

port.on('message', (command: RecorderCommand) => {
  switch (command.t) {
    case 'chunk': {
      const { data, length, capacity } = command;
      const C = info.channelNames.length;
      if (length < capacity) for (let c = 1; c < C; c++) data.copyWithin(c * length, c * capacity, c * capacity + length);
      recording.writeBlock(
        createSampleBlock({
          info,
          first: command.first,
          length,
          data: data.subarray(0, C * length),
          hostTime: command.hostTime,
          ...(command.missing ? { gap: { missing: command.missing } } : {}),
          ...(command.markers ? { markers: command.markers } : {}),
        }),
      );
      consumed += command.bytes;
      port.postMessage({ t: 'recycle', data, consumed } satisfies RecorderRecycleMessage, [data.buffer]); // the writer copied it: back to the pool
      break;
    }
    case 'features':
      if (command.names) featureNames = Object.freeze(command.names);
      recording.writeFeatures(createFeatureFrame({ bin: command.bin, t0: command.t0, hostTime: command.hostTime, values: command.values, names: featureNames }));
      consumed += command.bytes;
      break;
    case 'intent':
      recording.writeIntent(command.intent);
      consumed += command.bytes;
      break;
    case 'markers':
      recording.writeMarkers(command.markers);
      consumed += command.bytes;
      break;
    case 'note':
      recording.note(command.text);
      break;
    case 'decoder':
      recording.setDecoder(command.decoder);
      break;
    case 'close':
      clearInterval(flushTimer);
      clearInterval(progressTimer);
      recording.close();
      checkFailure();
      report('closed');
      port.close();
      return;
  }
  checkFailure();
});
