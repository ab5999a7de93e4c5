import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
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

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  volumes?: string[];
}

test('the compose stack watches itself: Prometheus scrapes the API and every worker, Grafana has the dashboard', async () => {
  const compose = load(await readFile(join(root, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, ComposeService>;
  };
  for (const [name, service] of Object.entries(compose.services)) {
    // condasync itself, built from the Dockerfile by the api service.
    if (service.image === 'condasync:local') continue;
    // An exact version: no `latest`, no floating major (`7-alpine`).
    assert.match(service.image ?? '', /^[\w./-]+:v?\d+\.\d+(\.\d+)?(-[\w.]+)?$/, `${name} image is pinned`);
    assert.doesNotMatch(
      service.image ?? '',
      /minio/,
      `${name}: MinIO's community images are no longer published`,
    );
    for (const volume of service.volumes ?? []) {
      const [source] = volume.split(':');
      if (source?.startsWith('./')) await access(join(root, source)); // bind mounts exist in the repo
    }
  }
  const mounts = (service: string): Map<string, string> =>
    new Map(
      (compose.services[service]?.volumes ?? []).map((v) => {
        const [source, target] = v.split(':');
        return [target!, source!];
      }),
    );

  const prometheus = mounts('prometheus');
  assert.equal(
    prometheus.get('/etc/prometheus/rules/condasync.yaml'),
    './deploy/helm/condasync/files/prometheus-rules.yaml',
  );
  const config = load(
    await readFile(join(root, prometheus.get('/etc/prometheus/prometheus.yml')!), 'utf8'),
  ) as {
    rule_files: string[];
    scrape_configs: {
      job_name: string;
      static_configs?: { targets: string[] }[];
      dns_sd_configs?: { names: string[]; type: string; port: number }[];
    }[];
  };
  assert.deepEqual(config.rule_files, ['/etc/prometheus/rules/*.yaml']);
  const job = (name: string) => config.scrape_configs.find((c) => c.job_name === name);
  assert.deepEqual(job('condasync-api')?.static_configs, [{ targets: ['api:8080'] }]);
  // Every worker replica, by Docker's DNS, on the port the workers listen on.
  const workers = job('condasync-worker')?.dns_sd_configs?.[0];
  assert.deepEqual(workers?.names, ['worker']);
  assert.equal(
    String(workers?.port),
    compose.services['worker']?.environment?.['CONDASYNC_WORKER_METRICS_PORT'],
  );

  const grafana = mounts('grafana');
  assert.equal(
    grafana.get('/var/lib/grafana/dashboards/condasync.json'),
    './deploy/helm/condasync/files/grafana-dashboard.json',
  );
  const provisioning = join(root, grafana.get('/etc/grafana/provisioning')!);
  const datasources = load(await readFile(join(provisioning, 'datasources/prometheus.yaml'), 'utf8')) as {
    datasources: { type: string; url: string }[];
  };
  assert.deepEqual(
    datasources.datasources.map((d) => [d.type, d.url]),
    [['prometheus', 'http://prometheus:9090']],
  );
  const dashboards = load(await readFile(join(provisioning, 'dashboards/condasync.yaml'), 'utf8')) as {
    providers: { options: { path: string } }[];
  };
  assert.equal(dashboards.providers[0]?.options.path, '/var/lib/grafana/dashboards');
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
