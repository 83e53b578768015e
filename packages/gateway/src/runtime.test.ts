import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CompiledRoute, hasDotSegment, matchRoute, type Runtime, underPrefix, upstreamPath } from './runtime.ts';

test('underPrefix matches whole segments', () => {
  assert.ok(underPrefix('/api', '/api'));
  assert.ok(underPrefix('/api/x', '/api'));
  assert.ok(underPrefix('/api?q=1', '/api'));
  assert.ok(!underPrefix('/apix', '/api'));
  assert.ok(underPrefix('/anything', '/'));
  assert.ok(underPrefix('/api/x', '/api/'));
  assert.ok(!underPrefix('/api', '/api/'));
});

test('upstreamPath strips the prefix only when asked, keeping the query', () => {
  const route = (pathPrefix: string, stripPrefix: boolean) => ({ pathPrefix, stripPrefix }) as CompiledRoute;
  assert.equal(upstreamPath(route('/api', false), '/api/x?y=1'), '/api/x?y=1');
  assert.equal(upstreamPath(route('/api', true), '/api/x?y=1'), '/x?y=1');
  assert.equal(upstreamPath(route('/api', true), '/api'), '/');
  assert.equal(upstreamPath(route('/api', true), '/api?y=1'), '/?y=1');
  assert.equal(upstreamPath(route('/api/', true), '/api/x'), '/x');
  assert.equal(upstreamPath(route('/', true), '/x'), '/x');
});

test('hasDotSegment finds dot segments, also encoded or behind encoded slashes', () => {
  for (const bad of [
    '/a/../b',
    '/a/./b',
    '/..',
    '/a/..',
    '/a/%2e%2e/b',
    '/a/%2E./b',
    '/a/..%2fb',
    '/a/..%5Cb',
    '/a\\..\\b',
  ]) {
    assert.ok(hasDotSegment(bad), bad);
  }
  for (const ok of ['/a/b', '/a/b.c', '/a/..b', '/a/b..', '/a?x=/../', '/v1.2/x', '/a/%20b', '/.well-known/x']) {
    assert.ok(!hasDotSegment(ok), ok);
  }
});

test('matchRoute: host routes first, then the longest prefix, then methods', () => {
  const r = (name: string, pathPrefix: string, extra: Partial<CompiledRoute> = {}) =>
    ({ name, pathPrefix, host: undefined, methods: undefined, ...extra }) as CompiledRoute;
  const routes = [
    r('docs', '/', { host: 'docs.example' }),
    r('admin-read', '/api/admin', { methods: new Set(['GET']) }),
    r('api', '/api'),
    r('root', '/'),
  ];
  const runtime = { routes, routesUseHost: true } as unknown as Runtime;
  const name = (method: string, url: string, host?: string) => matchRoute(runtime, method, url, host)?.name;
  assert.equal(name('GET', '/api/admin/x', 'docs.example:8080'), 'docs');
  assert.equal(name('GET', '/api/admin/x', 'DOCS.EXAMPLE'), 'docs');
  assert.equal(name('GET', '/api/admin/x', 'docs.example.evil'), 'admin-read');
  assert.equal(name('POST', '/api/admin/x'), 'api');
  assert.equal(name('GET', '/other'), 'root');
});
