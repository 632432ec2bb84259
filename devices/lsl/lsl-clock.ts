/**
 * LSL's local clock: seconds on the monotonic clock, as liblsl's `lsl_local_clock()` reads it
 * (std::chrono::steady_clock = CLOCK_MONOTONIC on Linux; Node's hrtime reads the same clock).
 */
export function lslClock(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}
