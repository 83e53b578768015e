// The documentation a user reads holds no unfilled placeholders: a line (outside code blocks) that is a lone
// ALL_CAPS_WORD, a `TODO`/`TBD`/`FIXME` marker, or `{{ … }}` / `<PLACEHOLDER>` template syntax.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function markdownFiles(): string[] {
  const files = ['README.md', 'CONTRIBUTING.md'].map((f) => join(root, f));
  for (const dir of ['docs', 'packages', 'examples']) {
    const walk = (d: string): void => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
        const path = join(d, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.md')) files.push(path);
      }
    };
    walk(join(root, dir));
  }
  return files;
}

/** The placeholder lines of a markdown text (fenced code blocks are skipped). */
export function placeholders(text: string): string[] {
  const found: string[] = [];
  let fenced = false;
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trimStart().startsWith('```')) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    const t = line.trim();
    if (/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(t) || /\b(TODO|TBD|FIXME|XXX)\b/.test(t) || /\{\{.*\}\}/.test(t)) {
      found.push(`${i + 1}: ${t}`);
    }
  }
  return found;
}

test('placeholders() finds a lone placeholder word and markers, and ignores code blocks', () => {
  assert.deepEqual(placeholders('## Performance\n\nPERFORMANCE_TABLE\n'), ['3: PERFORMANCE_TABLE']);
  assert.deepEqual(placeholders('text TODO later\n{{ table }}'), ['1: text TODO later', '2: {{ table }}']);
  assert.deepEqual(placeholders('```\nPERFORMANCE_TABLE\n```\n`EDGEPASS_MASTER_KEY` is a variable'), []);
});

test('README, CONTRIBUTING and every doc hold no unfilled placeholder', () => {
  const files = markdownFiles();
  assert.ok(files.length > 10, `found ${files.length} markdown files`);
  const problems = files.flatMap((f) => placeholders(readFileSync(f, 'utf8')).map((p) => `${relative(root, f)}:${p}`));
  assert.deepEqual(problems, []);
});
