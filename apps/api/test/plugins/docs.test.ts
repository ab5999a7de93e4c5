import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { testPython } from '../../../../test/support/services.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const run = promisify(execFile);

describe('/docs', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('serves an OpenAPI document that openapi-spec-validator accepts', async () => {
    const response = await t.app.inject({ url: '/docs/json' });
    assert.equal(response.statusCode, 200);
    const child = run(
      testPython(),
      [
        '-c',
        'import json, sys; from openapi_spec_validator import validate; validate(json.load(sys.stdin)); print("valid")',
      ],
      { timeout: 60_000 },
    );
    child.child.stdin?.end(response.body);
    const { stdout } = await child;
    assert.equal(stdout.trim(), 'valid');
  });

  it('documents every route, the sync config body for YAML and JSON, and the bearer scheme', async () => {
    const spec = (await t.app.inject({ url: '/docs/json' })).json();
    assert.equal(spec.openapi, '3.1.0');
    for (const path of [
      '/v1/syncs',
      '/v1/syncs/{id}',
      '/conda/{channel}/{file}',
      '/conda/{channel}/{subdir}/{file}',
      '/conda/{channel}/{subdir}/shards/{file}',
      '/livez',
      '/readyz',
      '/metrics',
    ]) {
      assert.ok(spec.paths[path], path);
    }
    assert.deepEqual(Object.keys(spec.paths['/v1/syncs']).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(spec.paths['/v1/syncs/{id}']).sort(), ['delete', 'get']);
    const content = spec.paths['/v1/syncs'].post.requestBody.content;
    for (const type of ['application/yaml', 'text/yaml', 'application/x-yaml', 'application/json']) {
      const properties = content[type]?.schema?.properties;
      assert.ok(properties?.channels && properties?.dest_channel && properties?.blacklist, type);
    }
    assert.ok(spec.paths['/v1/syncs'].post.responses['202']);
    assert.ok(spec.paths['/v1/syncs/{id}'].delete.responses['409']);
    assert.deepEqual(spec.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer' });
    assert.ok(
      !Object.keys(spec.paths).some((path) => path.startsWith('/admin')),
      'the dashboard is not an API',
    );
  });

  it('serves the Swagger UI', async () => {
    const response = await t.app.inject({ url: '/docs' });
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /text\/html/);
  });
});
