import { afterAll } from 'vitest';

/** The part of vitest's TestContext this needs; `ctx.skip(note)` throws to end the test. */
export interface SkipContext {
  skip: (note?: string) => never;
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Starts a real service for a test. When it cannot start, a developer's run skips the test
 * and says why; CI (CI=true) fails instead, so a broken service is never a silent green.
 */
export async function requireService<T>(name: string, start: () => Promise<T>, ctx: SkipContext): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const reason = `${name} is not available: ${reasonOf(err)}`;
    if (process.env.CI === 'true') {
      throw new Error(`${reason} (CI=true: failing instead of skipping)`, { cause: err });
    }
    return ctx.skip(reason);
  }
}

/**
 * One service per test file, started by the first test that asks for it and stopped after
 * the file. Call at module or describe level (it registers an afterAll hook); a start that
 * failed once is not retried, so every test skips (or fails) with the same reason.
 */
export function sharedService<T>(
  name: string,
  start: () => Promise<T>,
  stop: (service: T) => Promise<void>,
): (ctx: SkipContext) => Promise<T> {
  let started: Promise<T> | undefined;
  afterAll(async () => {
    if (!started) return;
    const service = await started.catch(() => undefined);
    if (service !== undefined) await stop(service);
  });
  return (ctx) => requireService(name, () => (started ??= start()), ctx);
}
