// `edgepass gateway` as a user runs it: --check / --print-schema exit codes, and `workers: 2` — a
// cluster primary with two gateway processes on one port, metrics aggregated on the primary's admin
// listener, a crashed worker replaced, SIGTERM draining everything to exit code 0.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateMasterKey } from '@edgepass/store';
import { stringify } from 'yaml';
import { createTestDatabase, testRedisUrl, uniquePrefix } from '../../../test/support/env.ts';
import { configJsonSchemaText } from '../src/config/json-schema.ts';
import { eventually, testConfig } from './support/gateway.ts';
import { TestUpstream } from './support/upstream.ts';

const BIN = fileURLToPath(new URL('../../cli/src/bin.ts', import.meta.url));
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgepass-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c;
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

describe('edgepass gateway --check / --print-schema', () => {
  test('a valid file: exit 0', async () => {
    const examples = fileURLToPath(new URL('../../../examples/edgepass.yaml', import.meta.url));
    const r = await run(['gateway', '--check', '--config', examples]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /edgepass\.yaml: valid \(4 routes, 1 issuers\)/);
  });

  test('an invalid file: exit 1 with every path and reason', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      stringify({
        gateway: { id: 'gw' },
        issuers: [{ id: 'i', issuer: 'https://i', jwksUri: 'https://i/jwks', audiences: ['a'], algorithms: ['HS256'] }],
        routes: [
          {
            name: 'a',
            match: { pathPrefix: '/a' },
            service: 's',
            upstream: { targets: ['nope'] },
            accept: ['anonymous'],
          },
        ],
      }),
    );
    const r = await run(['gateway', '--check', '-c', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.yaml: invalid configuration/);
    assert.match(r.stderr, /issuers\[0\]\.algorithms\[0\]: "HS256" is not allowed/);
    assert.match(r.stderr, /routes\[0\]\.upstream\.targets\[0\]: Invalid URL/);
  });

  test('--print-schema prints the JSON Schema', async () => {
    const r = await run(['gateway', '--print-schema']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, configJsonSchemaText());
    assert.deepEqual(
      JSON.parse(r.stdout),
      JSON.parse(readFileSync(fileURLToPath(new URL('../edgepass.schema.json', import.meta.url)), 'utf8')),
    );
  });

  test('a bad option: usage and exit 2', async () => {
    const r = await run(['gateway', '--nope']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage: edgepass gateway/);
  });
});

describe('workers: 2', () => {
  let upstream: TestUpstream;
  let db: { url: string; drop(): Promise<void> };
  let child: ChildProcess | undefined;

  before(async () => {
    upstream = await TestUpstream.start();
    db = await createTestDatabase();
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await upstream?.close();
    await db?.drop();
  });

  test('two processes serve one port; a crashed worker is replaced; SIGHUP reloads every worker; SIGTERM drains to exit 0', async () => {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(
      file,
      stringify(
        testConfig({
          gateway: { id: 'cluster-test', workers: 2 },
          logging: { level: 'info', access: false },
          routes: [
            {
              name: 'a',
              match: { pathPrefix: '/a' },
              service: 's',
              upstream: { targets: [upstream.url] },
              accept: ['anonymous'],
            },
          ],
        }),
      ),
    );
    const proc = spawn(process.execPath, [BIN, 'gateway', '--config', file], {
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        REDIS_URL: testRedisUrl(),
        EDGEPASS_REDIS_PREFIX: uniquePrefix('cluster'),
        EDGEPASS_MASTER_KEY: generateMasterKey(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const lines: Array<Record<string, unknown>> = [];
    let stderr = '';
    let buffer = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf('\n');
      while (nl !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.trim().startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
        nl = buffer.indexOf('\n');
      }
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const started = () => lines.filter((l) => l.msg === 'gateway started');
    await eventually(() => started().length >= 2, `two workers to start (stderr: ${stderr})`, 30_000);
    const primary = lines.find((l) => l.msg === 'gateway cluster started');
    assert.ok(primary, 'the primary logged its admin URL');
    const adminUrl = String(primary.admin);
    const publicUrls = new Set(started().map((l) => String(l.public)));
    assert.equal(publicUrls.size, 1, 'both workers listen on the same port');
    const publicUrl = [...publicUrls][0];
    const pids = new Set(started().map((l) => l.pid));
    assert.equal(pids.size, 2, 'two worker processes');
    await eventually(async () => (await fetch(`${adminUrl}/readyz`)).status === 200, 'cluster readiness', 20_000);

    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${publicUrl}/a/x`).then((r) => r.status)),
    );
    assert.deepEqual([...new Set(statuses)], [200]);
    const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
    assert.match(metrics, /edgepass_requests_total\{route="a",status="200"\} 20/, 'counts aggregated over the workers');
    const jwks = (await (await fetch(`${adminUrl}/.well-known/passport-jwks.json`)).json()) as { keys: unknown[] };
    assert.equal(jwks.keys.length, 1, 'both workers share one passport key');

    const victim = Number([...pids][0]);
    process.kill(victim, 'SIGKILL');
    await eventually(() => started().length >= 3, 'a replacement worker', 30_000);
    assert.ok(!pids.has(started()[2]?.pid), 'a new process');
    await eventually(
      async () => (await fetch(`${adminUrl}/readyz`)).status === 200,
      'readiness after the restart',
      20_000,
    );
    assert.equal((await fetch(`${publicUrl}/a/y`)).status, 200);

    // SIGHUP to the primary reloads every worker (the file is unchanged: no watcher fires)
    const workersNow = new Set(started().map((l) => l.pid)).size - 1; // the killed one is gone
    const reloadedBefore = lines.filter((l) => l.msg === 'config reloaded').length;
    proc.kill('SIGHUP');
    await eventually(
      () => lines.filter((l) => l.msg === 'config reloaded').length >= reloadedBefore + workersNow,
      'every worker to reload',
      20_000,
    );
    const reloaders = new Set(lines.filter((l) => l.msg === 'config reloaded').map((l) => l.pid));
    assert.equal(reloaders.size, workersNow, 'each live worker reloaded once');

    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    proc.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.equal(lines.filter((l) => l.msg === 'gateway closed').length, 2, 'both workers drained');
  });
});
