// What an engine must do before the process ends (the Spark engine stops its driver, so
// Spark deletes its executor pods). Engines register here when they start something that
// outlives a run; the CLI awaits endEngines() after a run, whatever the run's outcome, and
// on SIGTERM. A DuckDB run registers nothing, so the CLI imports no engine code to finish.
type Hook = () => Promise<void>;

const hooks = new Set<Hook>();
let ending: Promise<void> | undefined;

/** Registers `hook` to run once at the process's end (registering the same hook twice keeps one). */
export function atProcessEnd(hook: Hook): void {
  hooks.add(hook);
}

/**
 * Runs every registered hook once, in registration order; a failing hook does not skip the
 * others. A call while an end is under way (SIGTERM during the CLI's own end) waits for it.
 */
export function endEngines(): Promise<void> {
  ending ??= (async () => {
    try {
      for (const hook of [...hooks]) {
        hooks.delete(hook);
        await hook().catch(() => {});
      }
    } finally {
      ending = undefined;
    }
  })();
  return ending;
}
