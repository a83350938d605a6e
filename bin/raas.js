#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx's loader, so `npm ci` is the whole
// install (no build step to forget). See docs/adr/0002-run-typescript-with-tsx.md.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every start under Node 20 about a support window in 2027; the
// warning is not actionable for a person reading a recon's output. Node >= 20.19 is
// what package.json promises; the image runs Node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../runner/cli/main.ts');
