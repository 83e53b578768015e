// edgepass.yaml → validated, deep-frozen GatewayConfig. Every problem names its path and reason:
// `routes[2].upstream.targets[0]: Invalid URL`. `${VAR}` and `${VAR:-default}` in string values are
// replaced from the environment before validation.
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { deepFreeze } from './freeze.ts';
import { configSchema, type GatewayConfig } from './schema.ts';

type Path = ReadonlyArray<PropertyKey>;

export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces ${VAR} / ${VAR:-default} in every string of a parsed document. */
export function interpolateEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  path: PropertyKey[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REFERENCE, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      issues.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, issues, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateEnv(item, env, issues, [...path, key]);
    return out;
  }
  return value;
}

/** zod issues → path + reason. For a union, reports the branch that matched the value's type. */
export function zodIssues(issues: readonly z.core.$ZodIssue[], base: Path = []): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const typed = issue.errors.filter((branch) => branch.length > 0 && branch[0]?.code !== 'invalid_type');
      if (typed.length === 1 && typed[0]) {
        out.push(...zodIssues(typed[0], path));
        continue;
      }
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...path, key]), message: 'unknown key' });
      continue;
    }
    out.push({ path: formatPath(path), message: issue.message });
  }
  return out;
}

/** Validates an already-parsed document (from YAML or an object in code). */
export function validateConfig(
  document: unknown,
  options: { env?: NodeJS.ProcessEnv; source?: string } = {},
): GatewayConfig {
  const issues: ConfigIssue[] = [];
  const interpolated = interpolateEnv(document, options.env ?? process.env, issues);
  if (issues.length > 0) throw new ConfigError(issues, options.source);
  const result = configSchema.safeParse(interpolated, {
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined),
  });
  if (!result.success) throw new ConfigError(zodIssues(result.error.issues), options.source);
  return deepFreeze(result.data);
}

/** Parses YAML text; syntax errors name line and column. */
export function parseConfigText(
  text: string,
  options: { env?: NodeJS.ProcessEnv; source?: string } = {},
): GatewayConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        const message = (e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, '');
        return { path: at ? `line ${at.line}, column ${at.col}` : '(yaml)', message };
      }),
      options.source,
    );
  }
  return validateConfig(doc.toJS() ?? {}, options);
}

export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError([{ path: '(file)', message: `cannot read the file (${code})` }], path);
  }
  return parseConfigText(text, { env, source: path });
}
