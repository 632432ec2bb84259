/**
 * Batch interruption (convert): a signal is never lost — one that comes during the job's last
 * synchronous stretch (after its last checkpoint) still stops it at finish() — and the error it
 * raises has a stable code and the conventional exit status. Real signals, sent to this process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, NeurostreamError } from '../../core/index.js';
import { BatchInterrupted, catchBatchInterrupts, type BatchInterrupt } from '../../cli/batch-interrupt.js';

let interrupt: BatchInterrupt | undefined;
afterEach(() => {
  interrupt?.dispose();
  interrupt = undefined;
});

describe('catchBatchInterrupts', () => {
  it('finish() throws for a signal that came after the last checkpoint (it is not lost)', async () => {
    interrupt = catchBatchInterrupts(() => {}, 60_000); // checkpoints never yield by time here
    await interrupt.checkpoint();
    process.kill(process.pid, 'SIGTERM'); // during the last synchronous stretch (closing files)
    await interrupt.checkpoint(); // not yet seen: no turn of the event loop since
    const error = await interrupt.finish().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(BatchInterrupted);
    expect((error as BatchInterrupted).signal).toBe('SIGTERM');
    expect((error as BatchInterrupted).exitCode).toBe(143);
  });

  it('finish() passes when no signal came', async () => {
    interrupt = catchBatchInterrupts(() => {});
    await expect(interrupt.finish()).resolves.toBeUndefined();
  });
});

describe('BatchInterrupted', () => {
  it('is a NeurostreamError with the stable code NS_INTERRUPTED and exit status 128 + n', () => {
    const error = new BatchInterrupted('SIGINT');
    expect(error).toBeInstanceOf(NeurostreamError);
    expect(error.code).toBe(ErrorCode.Interrupted);
    expect(error.code).toBe('NS_INTERRUPTED');
    expect(error.message).toBe('interrupted by SIGINT');
    expect(error.exitCode).toBe(130);
    expect(new BatchInterrupted('SIGHUP').exitCode).toBe(129);
  });
});
