#!/usr/bin/env node
// kubectl plugin: `kubectl recon backfill|rerun|runs|results ...` (install: put this file on
// PATH as `kubectl-recon`, or `npm link`). Same code as `raas backfill|...`, started the
// same way (compiled build, or the sources when it is stale: docs/adr/0020).
import { importEntry } from './entry.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await importEntry('operator/cli/main');
process.exitCode = await main(process.argv.slice(2), 'kubectl recon');
