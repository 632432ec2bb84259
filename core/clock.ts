/**
 * Host time. `hostTime` fields throughout neurostream are milliseconds on the monotonic
 * `performance.now()` clock of the process (not the epoch): good for latencies and rates, immune
 * to wall-clock jumps. Wall-clock instants (a stream's start) are UTC ISO strings.
 */
export function hostNowMs(): number {
  return performance.now();
}

/** The current UTC time as an ISO-8601 string with milliseconds. */
export function utcNowIso(): string {
  return new Date().toISOString();
}
