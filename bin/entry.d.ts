// Types for bin/entry.js (plain JavaScript: it runs before anything is compiled).
export declare const ROOT: string;
export declare const SOURCE_DIRS: readonly string[];
export declare const STAMP_FILE: string;
export declare function newestSourceMtime(root?: string): number;
export interface EntryChoice {
  mode: 'dist' | 'source';
  reason: string;
}
export declare function chooseEntry(env?: NodeJS.ProcessEnv, root?: string): EntryChoice;
export declare function importEntry(module: string, opts?: { fromSource?: boolean }): Promise<Record<string, unknown>>;
