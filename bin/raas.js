#!/usr/bin/env node
// The `raas` command. Runs the compiled build in dist/ (made by `npm ci`'s prepare step or
// `npm run build`), or the TypeScript sources through tsx when dist/ is missing or older than
// the sources, so a checkout never runs stale code. See docs/adr/0020.
import { importEntry } from './entry.js';

// The AWS SDK warns on every start under Node 20 about a support window in 2027; the
// warning is not actionable for a person reading a recon's output. Node >= 20.19 is
// what package.json promises.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Commands that talk to Kubernetes live in operator/; the runner never imports them.
const KUBE_COMMANDS = new Set(['operator', 'sandbox', 'web', 'backfill', 'rerun', 'runs', 'results']);
const args = process.argv.slice(2);
if (KUBE_COMMANDS.has(args[0] ?? '')) {
  // The sandbox is built from the test servers in test/support, which are not compiled.
  const { main } = await importEntry('operator/cli/main', { fromSource: args[0] === 'sandbox' });
  process.exitCode = await main(args);
} else {
  await importEntry('runner/cli/main');
}
