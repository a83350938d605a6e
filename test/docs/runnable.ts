// The docs' shell blocks that test/docs/run-blocks.test.ts runs as written, in a clean copy
// of the checkout. Blocks that need a cluster are covered elsewhere by a test that runs
// their lines and says `covers docs block <id>`.
export interface Runnable {
  /** Compare stdout with the ```text block that follows (`…` matches any text in a line). */
  compareOutput: boolean;
}

export const RUNNABLE: Record<string, Runnable> = {
  quickstart: { compareOutput: true },
  'guide-validate': { compareOutput: false },
};
