/**
 * Waits for an observable condition instead of sleeping for a guessed time: polls `condition`
 * every `pollMs` until it holds, or fails with `what` after `timeoutMs` (generous by default: the
 * machine may be loaded; a condition that holds returns as soon as it does).
 */
export async function waitFor(condition: () => boolean, what: string, { timeoutMs = 20_000, pollMs = 10 }: { timeoutMs?: number; pollMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
