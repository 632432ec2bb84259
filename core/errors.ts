/**
 * Errors with stable codes. Every error neurostream throws on purpose is a `NeurostreamError`:
 * `code` is stable across versions (match on it, not on the message), and the message says what
 * was given, what was expected and what was seen, in one line.
 */

/** Stable error codes. Adding a code is compatible; changing or removing one is not. */
export const ErrorCode = {
  /** An option, flag or configuration value is missing, of the wrong type or out of range. */
  InvalidOption: 'NS_INVALID_OPTION',
  /** A data-model object (StreamInfo, SampleBlock, …) breaks its contract. */
  InvalidData: 'NS_INVALID_DATA',
  /** A device, driver or simulator failed while running. */
  DeviceFailure: 'NS_DEVICE_FAILURE',
  /** A command-line usage error (unknown command or flag, missing argument). */
  Usage: 'NS_USAGE',
  /** Writing a recording failed (disk full, slow or gone); what was written before is kept. */
  RecordingFailure: 'NS_RECORDING_FAILURE',
  /** A job stopped by a signal (SIGINT, SIGTERM, SIGHUP); the CLI exits 128 + the signal's number. */
  Interrupted: 'NS_INTERRUPTED',
  /** A processing thread (one of the channel-parallel chain's workers) stopped while its stream ran. */
  ProcessingFailure: 'NS_PROCESSING_FAILURE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class NeurostreamError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Describes a received value briefly and unambiguously for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) {
    const length = (value as unknown as { length?: number }).length ?? value.byteLength;
    return `a ${value.constructor.name} of ${length}`;
  }
  if (typeof value === 'function') return 'a function';
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
}

/** A bad option, flag or configuration value: names it, what was expected, what was seen. */
export class InvalidOptionError extends NeurostreamError {
  readonly option: string;
  readonly expected: string;
  readonly received: unknown;

  constructor(option: string, expected: string, received: unknown) {
    super(ErrorCode.InvalidOption, `${option}: expected ${expected}, got ${describeValue(received)}`);
    this.option = option;
    this.expected = expected;
    this.received = received;
  }
}

/** A data-model object that breaks its contract: names the field, what was expected and seen. */
export class InvalidDataError extends NeurostreamError {
  readonly field: string;
  readonly expected: string;
  readonly received: unknown;

  constructor(field: string, expected: string, received: unknown) {
    super(ErrorCode.InvalidData, `${field}: expected ${expected}, got ${describeValue(received)}`);
    this.field = field;
    this.expected = expected;
    this.received = received;
  }
}

/** A command-line usage error, reported as one line with a non-zero exit. */
export class UsageError extends NeurostreamError {
  constructor(message: string) {
    super(ErrorCode.Usage, message);
  }
}
