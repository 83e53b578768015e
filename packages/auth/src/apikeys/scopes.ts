// Which scopes an API key may carry. Rule: a key's scopes must be a subset of the grantable list
// (configuration: JsonApiDeps.apiKeyScopes) when its owner creates or changes it through the owner API;
// an admin (admin API or CLI) may set any syntactically valid scope.

/** RFC 6749 §3.3 scope-token, bounded to 64 characters. */
export const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]{1,64}$/;
export const MAX_SCOPES_PER_KEY = 32;

/** The requested scopes that are not in the grantable list (empty when all are allowed). */
export function scopesNotGrantable(requested: readonly string[], grantable: readonly string[]): string[] {
  const allowed = new Set(grantable);
  return requested.filter((s) => !allowed.has(s));
}

/** Sorted, without duplicates: the stored form. */
export function normalizeScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes)].sort();
}
