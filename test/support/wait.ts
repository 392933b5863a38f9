/**
 * Polls `probe` every `intervalMs` until it answers something other than undefined or false,
 * and returns that; fails naming `what` after `timeoutMs`. For waiting on controllers, which
 * act when they act: never a fixed sleep. The one wait helper of the suite.
 */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Runs a wait; when it fails, the error also says what `state` finds now (the cluster's and the
 * controller's view), so a timeout tells where things stood rather than only what was awaited.
 */
export async function explaining<T>(wait: Promise<T>, state: () => Promise<string>): Promise<T> {
  try {
    return await wait;
  } catch (e) {
    const now = await state().catch((f: Error) => `(the state could not be read: ${f.message})`);
    throw new Error(`${(e as Error).message}\n${now}`, { cause: e });
  }
}
