import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { load } from 'js-yaml';

const root = join(import.meta.dirname, '../..');

// No Docker engine on the test machines: the compose file is validated against the Compose
// Specification's own JSON Schema, plus the settings condasync depends on.
test('docker-compose.yml is a valid Compose file with the settings condasync needs', async () => {
  const schema = JSON.parse(await readFile(join(root, 'deploy/schemas/compose-spec.json'), 'utf8')) as object;
  const compose = load(await readFile(join(root, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { command?: string[]; environment?: Record<string, string>; image?: string }>;
  };
  const ajv = new Ajv2020.default({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  assert.equal(validate(compose), true, JSON.stringify(validate.errors, null, 2));

  const redisCommand = compose.services['redis']?.command?.join(' ') ?? '';
  assert.match(redisCommand, /--appendonly yes/);
  assert.match(redisCommand, /--maxmemory-policy noeviction/);
  for (const role of ['api', 'worker']) {
    const service = compose.services[role];
    assert.ok(service, `${role} service exists`);
    assert.deepEqual(service.command, [role]);
    for (const name of ['CONDASYNC_REDIS_URL', 'CONDASYNC_STORAGE_URL', 'CONDASYNC_S3_ENDPOINT']) {
      assert.ok(service.environment?.[name], `${role} sets ${name}`);
    }
  }
});

test('the Dockerfile installs every workspace and starts the CLI', async () => {
  const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8');
  const workspaces = (
    JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { workspaces: string[] }
  ).workspaces;
  for (const workspace of workspaces) {
    assert.match(
      dockerfile,
      new RegExp(`COPY ${workspace}/package\\.json ${workspace}/`),
      `${workspace} manifest copied before npm ci`,
    );
  }
  assert.match(dockerfile, /^FROM node:\$\{NODE_VERSION\}-slim$/m);
  assert.match(dockerfile, /ENTRYPOINT \["node", "apps\/cli\/bin\/condasync\.js"\]/);
  assert.match(dockerfile, /^USER node$/m);
});
