// Types for scripts/eslint-boundaries.js (plain JavaScript so eslint.config.js loads it untranspiled).
import type { ESLint } from 'eslint';

export const PURE: string[];
export const PURE_PACKAGES: string[];
export const FOLDER_RULES: Array<{ from: string[]; deny: string[]; why: string }>;
export function boundaryProblems(rel: string, spec: string, typeOnly: boolean): string[];
declare const plugin: ESLint.Plugin;
export default plugin;
