// Where a run's results go, for any window: the carry-forward stage asks it for the
// previous window too, so both answers come from this one function.
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultOutputFolder } from '../output/overwrite-guard.ts';
import { outputTarget } from '../output/target.ts';
import type { ReconJobSpec } from '../spec/schema.ts';
import { isRemote } from '../stage/schemes.ts';
import { renderText, type TemplateVars } from '../template/render.ts';
import type { ReconWindow } from '../window/window.ts';
import type { RunOptions } from './context.ts';

/** The rendered output URI (before resolving): --out, spec.output.uri, or the default folder per window. */
export function renderedOutUri(opts: Pick<RunOptions, 'outUri' | 'defaultOutUri'>, spec: ReconJobSpec, window: ReconWindow, vars: TemplateVars): string {
  // --out may carry window templates too (a carry-forward job finds the previous window's results through them).
  if (opts.outUri) return opts.outUri.includes('{{') ? renderText(opts.outUri, vars, '--out') : opts.outUri;
  if (spec.output?.uri) return renderText(spec.output.uri, vars, 'spec.output.uri');
  return renderText(opts.defaultOutUri ?? `raas-out/{{ job.name }}/${defaultOutputFolder(window)}/`, vars, '--out');
}

/**
 * The publish target: an absolute path or a remote URI. Relative paths: --out and the
 * default are relative to the working directory, spec.output.uri to the manifest.
 */
export function outputLocation(opts: Pick<RunOptions, 'outUri' | 'baseDir'>, spec: ReconJobSpec, rendered: string): string {
  const target = outputTarget(rendered, opts.outUri ? '--out' : spec.output?.uri ? 'spec.output.uri' : '--out');
  const outPath = /^file:\/\//i.test(target) ? fileURLToPath(target) : target;
  return isRemote(outPath) || isAbsolute(outPath) ? outPath : resolve(!opts.outUri && spec.output?.uri ? opts.baseDir : process.cwd(), outPath);
}
