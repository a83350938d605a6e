#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx's loader, so `npm ci` is the whole
// install (no build step to forget). See docs/adr/0002-run-typescript-with-tsx.md.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every start under Node 20 about a support window in 2027; the
// warning is not actionable for a person reading a recon's output. Node >= 20.19 is
// what package.json promises.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();

// Commands that talk to Kubernetes live in operator/; the runner never imports them.
const KUBE_COMMANDS = new Set(['operator', 'sandbox', 'web', 'backfill', 'rerun', 'runs', 'results']);
const args = process.argv.slice(2);
if (KUBE_COMMANDS.has(args[0] ?? '')) {
  const { main } = await import('../operator/cli/main.ts');
  process.exitCode = await main(args);
} else {
  await import('../runner/cli/main.ts');
}
