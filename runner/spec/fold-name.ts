// The one rule for comparing names (docs/adr/0012-names-ignore-case-internal-prefix.md):
// DuckDB identifiers ignore case, so every name match and clash check (the spec's zod
// refinements, column lookup, the default compare set, result-column uniqueness) folds
// names with this function and nothing else.

/** A name folded for comparison: lower case, as DuckDB compares identifiers. */
export function foldName(name: string): string {
  return name.toLowerCase();
}
