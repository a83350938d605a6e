// What every stage of a run shares: the options, the rendered spec, the engine, the clock,
// and how a failure is reported (RunError names the stage and, where known, the field).
import type { Side } from '../compare/plan.ts';
import type { ReconJob, ReconJobSpec } from '../spec/schema.ts';
import type { Transports } from '../stage/schemes.ts';
import type { ReconWindow } from '../window/window.ts';
import type { SidePlan } from './side-inputs.ts';

export type Stage = 'validate' | 'render' | 'carry' | 'stage' | 'load' | 'query' | 'keys' | 'compare' | 'ledger' | 'summaries' | 'write' | 'upload' | 'catalog';

export class RunError extends Error {
  constructor(
    readonly stage: Stage,
    message: string,
  ) {
    super(message);
    this.name = 'RunError';
  }
}

export interface RunOptions {
  job: ReconJob;
  window: ReconWindow;
  runName: string;
  /** Directory relative paths in the manifest are read from. */
  baseDir: string;
  /** Overrides spec.output.uri (the CLI's --out). */
  outUri?: string;
  /** Default output location when neither --out nor spec.output.uri is given. */
  defaultOutUri?: string;
  /** Overrides spec.engine (the CLI's --engine). */
  engine?: 'duckdb' | 'spark';
  memoryLimit?: string;
  threads?: number;
  workDir?: string;
  progress?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Called with the statements as they run, for --explain. */
  onSql?: (sql: string) => void;
}

/** The spec after templates: what each side reads, where results go, the summaries' SQL. */
export interface Rendered {
  sides: Record<Side, SidePlan>;
  outUri: string;
  summaries: Array<{ name: string; sql: string; field: string }>;
}

export interface RunContext {
  opts: RunOptions;
  spec: ReconJobSpec;
  /** The sides' display names (spec.<side>.name, or left/right). */
  names: Record<Side, string>;
  mode: NonNullable<NonNullable<ReconJobSpec['output']>['mode']>;
  outFormat: 'parquet' | 'csv';
  rendered: Rendered;
  /** Where results are published (absolute path or remote URI). */
  outUri: string;
  workDir: string;
  /** Local directory results are written to before publishing. */
  localOut: string;
  transports: Transports;
  env: NodeJS.ProcessEnv;
  progress: (line: string) => void;
  /** Runs `fn` as part of `stage`; any error becomes a RunError naming the stage (and `field`). */
  step<T>(stage: Stage, field: string | undefined, fn: () => Promise<T>): Promise<T>;
}

/** A RunContext's step, with `message` turning engine errors into one line. */
export function stepWith(message: (err: unknown) => string) {
  return async function step<T>(stage: Stage, field: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RunError) throw err;
      const fieldOf = (err as { field?: unknown }).field;
      const msg = err instanceof Error ? err.message : String(err);
      // Errors that already name their field (plan, stage, template, format) pass through as is.
      if (typeof fieldOf === 'string') throw new RunError(stage, msg.startsWith(fieldOf) ? msg : `${fieldOf}: ${msg}`);
      // An engine message that already names a spec field (a file the engine could not read) is whole.
      const line = message(err);
      throw new RunError(stage, field && !line.startsWith('spec.') ? `${field}: ${line}` : line);
    }
  };
}

export function numberOf(v: unknown): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  return 0;
}

/** Per-step clock for summary.timings.steps: each mark() returns the ms since the last. */
export function stepClock(): { mark(): number; since(): number } {
  const start = performance.now();
  let last = start;
  return {
    mark() {
      const now = performance.now();
      const d = Math.round(now - last);
      last = now;
      return d;
    },
    since: () => Math.round(performance.now() - start),
  };
}
