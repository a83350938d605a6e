#!/usr/bin/env node
// kubectl plugin: `kubectl recon backfill|rerun|runs|results ...` (install: put this file on
// PATH as `kubectl-recon`, or `npm link`). Same code as `raas backfill|...`.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../operator/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), 'kubectl recon');
