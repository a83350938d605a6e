// What an engine must do before the process ends (the Spark engine stops its driver, so
// Spark deletes its executor pods). Engines register here when they start something that
// outlives a run; the CLI awaits endEngines() after a run, whatever the run's outcome. A
// DuckDB run registers nothing, so the CLI imports no engine code to finish.
type Hook = () => Promise<void>;

const hooks = new Set<Hook>();

/** Registers `hook` to run once at the process's end (registering the same hook twice keeps one). */
export function atProcessEnd(hook: Hook): void {
  hooks.add(hook);
}

/** Runs every registered hook once, in registration order; a failing hook does not skip the others. */
export async function endEngines(): Promise<void> {
  for (const hook of [...hooks]) {
    hooks.delete(hook);
    await hook().catch(() => {});
  }
}
