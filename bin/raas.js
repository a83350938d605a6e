#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx's loader, so `npm ci` is the whole
// install (no build step to forget). See docs/adr/0002-run-typescript-with-tsx.md.
import { register } from 'tsx/esm/api';

register();
await import('../runner/cli/main.ts');
