import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { load, loadAll } from 'js-yaml';

// No cluster on the test machines: the chart is linted, rendered for every ci/*-values.yaml,
// validated offline by kubeconform against the Kubernetes schemas committed in
// deploy/schemas/kubernetes, and checked for the properties a deployment relies on.

const root = join(import.meta.dirname, '../..');
const chartDir = join(root, 'deploy/helm/condasync');
const ciDir = join(chartDir, 'ci');
const schemaLocation = join(root, 'deploy/schemas/kubernetes/{{.ResourceKind}}{{.KindSuffix}}.json');
/** The Kubernetes version of the committed schemas (deploy/schemas/kubernetes/README.md). */
const KUBE_VERSION = '1.35.4';
const RELEASE = 'ci';
const NAMESPACE = 'condasync-ci';

/** Every toggle has its ci file; a missing one means a feature nobody renders in the tests. */
const EXPECTED_CI_FILES = [
  'all-features-values.yaml',
  'bundled-redis-values.yaml',
  'default-values.yaml',
  'external-secrets-values.yaml',
  'filesystem-values.yaml',
  'grafana-dashboard-values.yaml',
  'hpa-values.yaml',
  'ingress-values.yaml',
  'irsa-values.yaml',
  'keda-values.yaml',
  'networkpolicy-values.yaml',
  'pdb-values.yaml',
  'prometheusrule-values.yaml',
  'servicemonitor-values.yaml',
];

// --- tools, from the environment (scripts/test.sh builds them into .tools/bin) ---------------

const HOW_TO_RUN =
  'run the suite with `npm test` (scripts/test.sh builds helm and kubeconform into .tools/bin with ensure_deploy_tools and exports it)';

async function requireTool(envName: string, tool: string): Promise<string> {
  const path = process.env[envName];
  if (path === undefined || path === '') {
    throw new Error(`${envName} is not set, so the chart tests cannot run ${tool}: ${HOW_TO_RUN}`);
  }
  try {
    await access(path, constants.X_OK);
  } catch (error) {
    throw new Error(`${envName}=${path} is not an executable ${tool}: ${HOW_TO_RUN}`, { cause: error });
  }
  return path;
}

const helmPath = (): Promise<string> => requireTool('CONDASYNC_TEST_HELM', 'helm');
const kubeconformPath = (): Promise<string> => requireTool('CONDASYNC_TEST_KUBECONFORM', 'kubeconform');

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // HELM_* homes point into TMPDIR so helm reads no user's repositories or plugins.
    const tmp = process.env['TMPDIR'] ?? '/tmp';
    const child = spawn(command, args, {
      cwd: root,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: tmp,
        HELM_CACHE_HOME: join(tmp, 'helm-cache'),
        HELM_CONFIG_HOME: join(tmp, 'helm-config'),
        HELM_DATA_HOME: join(tmp, 'helm-data'),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
    child.stdin.end(input ?? '');
  });
}

// --- rendering ----------------------------------------------------------------------------------

interface Metadata {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface LabelSelector {
  matchLabels?: Record<string, string>;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: unknown };
}
interface Container {
  name: string;
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  securityContext?: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type?: string };
  };
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  ports?: { name?: string; containerPort: number }[];
}
interface PodTemplate {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    initContainers?: Container[];
    terminationGracePeriodSeconds?: number;
    securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
    automountServiceAccountToken?: boolean;
  };
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    /** A LabelSelector ({matchLabels}) everywhere but in a Service, where it is the label map. */
    selector?: LabelSelector | Record<string, string>;
    template?: PodTemplate;
    podSelector?: LabelSelector;
    ingress?: { from?: { podSelector?: LabelSelector }[] }[];
    ports?: { name?: string }[];
    endpoints?: { port?: string }[];
  };
}

/** spec.selector.matchLabels of a workload, PodDisruptionBudget or ServiceMonitor. */
function matchLabelsOf(manifest: Manifest): Record<string, string> {
  return (manifest.spec?.selector as LabelSelector | undefined)?.matchLabels ?? {};
}

interface Render {
  file: string;
  yaml: string;
  manifests: Manifest[];
}

async function ciFiles(): Promise<string[]> {
  return (await readdir(ciDir)).filter((name) => name.endsWith('-values.yaml')).sort();
}

function templateArgs(valuesFiles: string[], extra: string[] = []): string[] {
  return [
    'template',
    RELEASE,
    chartDir,
    '--namespace',
    NAMESPACE,
    '--kube-version',
    KUBE_VERSION,
    ...valuesFiles.flatMap((file) => ['--values', file]),
    ...extra,
  ];
}

async function render(valuesFiles: string[], extra: string[] = []): Promise<string> {
  const result = await run(await helmPath(), templateArgs(valuesFiles, extra));
  assert.equal(
    result.code,
    0,
    `helm template ${valuesFiles.join(' ')} ${extra.join(' ')} failed:\n${result.stderr}`,
  );
  return result.stdout;
}

function parseManifests(yaml: string): Manifest[] {
  return loadAll(yaml).filter((doc): doc is Manifest => doc !== null && typeof doc === 'object');
}

const renders = new Map<string, Promise<Render>>();
/** Each ci file is rendered once and shared by the tests below. */
function renderCi(file: string): Promise<Render> {
  let rendered = renders.get(file);
  if (rendered === undefined) {
    rendered = render([join(ciDir, file)]).then((yaml) => ({ file, yaml, manifests: parseManifests(yaml) }));
    renders.set(file, rendered);
  }
  return rendered;
}

async function renderAllCi(): Promise<Render[]> {
  return Promise.all((await ciFiles()).map(renderCi));
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet']);

function workloads(manifests: Manifest[]): Manifest[] {
  return manifests.filter((m) => WORKLOAD_KINDS.has(m.kind));
}

function podTemplate(workload: Manifest): PodTemplate {
  const template = workload.spec?.template;
  assert.ok(template, `${workload.kind} ${workload.metadata.name} has a pod template`);
  return template;
}

function containersOf(workload: Manifest): Container[] {
  const spec = podTemplate(workload).spec;
  return [...(spec.initContainers ?? []), ...spec.containers];
}

function findOne(manifests: Manifest[], kind: string, component: string): Manifest {
  const found = manifests.filter(
    (m) => m.kind === kind && m.metadata.labels?.['app.kubernetes.io/component'] === component,
  );
  assert.equal(found.length, 1, `exactly one ${kind} with component ${component}, found ${found.length}`);
  return found[0]!;
}

/** Every label selector in a manifest, with where it is. */
function selectorsOf(manifest: Manifest): { where: string; labels: Record<string, string> }[] {
  const where = `${manifest.kind} ${manifest.metadata.name}`;
  const spec = manifest.spec;
  if (spec === undefined) return [];
  const found: { where: string; labels: Record<string, string> }[] = [];
  switch (manifest.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'PodDisruptionBudget':
    case 'ServiceMonitor':
      found.push({ where: `${where} spec.selector.matchLabels`, labels: matchLabelsOf(manifest) });
      break;
    case 'Service':
      found.push({
        where: `${where} spec.selector`,
        labels: (spec.selector ?? {}) as Record<string, string>,
      });
      break;
    case 'NetworkPolicy':
      found.push({ where: `${where} spec.podSelector`, labels: spec.podSelector?.matchLabels ?? {} });
      for (const rule of spec.ingress ?? []) {
        for (const peer of rule.from ?? []) {
          if (peer.podSelector?.matchLabels) {
            found.push({ where: `${where} ingress from podSelector`, labels: peer.podSelector.matchLabels });
          }
        }
      }
      break;
  }
  return found;
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

/** Values from a ci file that are secret: none may show up outside a Secret. */
function secretValuesOf(values: unknown): string[] {
  const v = (values ?? {}) as {
    storage?: { s3?: { accessKeyId?: string; secretAccessKey?: string } };
    redis?: { url?: string; bundled?: { password?: string } };
    auth?: { apiTokens?: string[]; channelTokens?: string[]; secretKey?: string };
  };
  const secrets = [
    v.storage?.s3?.accessKeyId,
    v.storage?.s3?.secretAccessKey,
    v.redis?.bundled?.password,
    ...(v.auth?.apiTokens ?? []),
    ...(v.auth?.channelTokens ?? []),
    v.auth?.secretKey,
  ];
  // A Redis URL is secret when it carries a password.
  const redisUrl = v.redis?.url;
  if (redisUrl !== undefined && URL.canParse(redisUrl) && new URL(redisUrl).password !== '') {
    secrets.push(redisUrl, new URL(redisUrl).password);
  }
  return secrets.filter((s): s is string => typeof s === 'string' && s !== '');
}

// --- tests ----------------------------------------------------------------------------------------

test('the chart has a ci values file for the defaults and every optional feature', async () => {
  assert.deepEqual(await ciFiles(), EXPECTED_CI_FILES);
});

test('helm lint --strict passes with every ci values file', async () => {
  const helm = await helmPath();
  for (const file of await ciFiles()) {
    const result = await run(helm, [
      'lint',
      '--strict',
      '--kube-version',
      KUBE_VERSION,
      '--namespace',
      NAMESPACE,
      '--values',
      join(ciDir, file),
      chartDir,
    ]);
    assert.equal(result.code, 0, `helm lint --strict with ${file}:\n${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/, file);
    assert.doesNotMatch(result.stdout, /\[(WARNING|ERROR)\]/, `${file}:\n${result.stdout}`);
  }
});

test('every rendered manifest is valid for Kubernetes (kubeconform -strict, offline schemas)', async () => {
  const kubeconform = await kubeconformPath();
  for (const rendered of await renderAllCi()) {
    const result = await run(
      kubeconform,
      ['-strict', '-summary', '-output', 'json', '-schema-location', schemaLocation, '-'],
      rendered.yaml,
    );
    assert.equal(result.code, 0, `kubeconform on ${rendered.file}:\n${result.stdout}${result.stderr}`);
    const report = JSON.parse(result.stdout) as {
      summary: { valid: number; invalid: number; errors: number; skipped: number };
    };
    // Nothing skipped and nothing missing: every manifest met its schema.
    assert.deepEqual(
      report.summary,
      { valid: rendered.manifests.length, invalid: 0, errors: 0, skipped: 0 },
      rendered.file,
    );
  }
});

test('kubeconform and the committed schemas reject an invalid manifest', async () => {
  const { yaml } = await renderCi('default-values.yaml');
  const broken = yaml.replace('readOnlyRootFilesystem: true', 'readOnlyRootFilesytem: true');
  assert.notEqual(broken, yaml);
  const result = await run(
    await kubeconformPath(),
    ['-strict', '-schema-location', schemaLocation, '-'],
    broken,
  );
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stdout, /additional properties 'readOnlyRootFilesytem' not allowed/);
});

test('every template renders with at least one ci values file', async () => {
  const templates = (await readdir(join(chartDir, 'templates'))).filter((name) => name.endsWith('.yaml'));
  const rendered = new Set<string>();
  for (const { yaml } of await renderAllCi()) {
    for (const match of yaml.matchAll(/^# Source: condasync\/templates\/(.+)$/gm)) rendered.add(match[1]!);
  }
  assert.deepEqual([...rendered].sort(), templates.sort());
});

test('selectors hold app.kubernetes.io/component and never helm.sh/chart or the version', async () => {
  for (const { file, manifests } of await renderAllCi()) {
    let count = 0;
    for (const manifest of manifests) {
      for (const { where, labels } of selectorsOf(manifest)) {
        count += 1;
        assert.ok(labels['app.kubernetes.io/component'], `${file}: ${where} has a component label`);
        assert.ok(labels['app.kubernetes.io/instance'], `${file}: ${where} has an instance label`);
        assert.equal(
          labels['helm.sh/chart'],
          undefined,
          `${file}: ${where} must not select on helm.sh/chart`,
        );
        assert.equal(
          labels['app.kubernetes.io/version'],
          undefined,
          `${file}: ${where} must not select on version`,
        );
      }
    }
    assert.ok(count >= 4, `${file}: found ${count} selectors`);
  }
});

test('every selector matches the pods or Services it is meant for', async () => {
  for (const { file, manifests } of await renderAllCi()) {
    const pods = workloads(manifests).map((w) => podTemplate(w).metadata.labels);
    for (const workload of workloads(manifests)) {
      const selector = matchLabelsOf(workload);
      assert.ok(
        matches(selector, podTemplate(workload).metadata.labels),
        `${file}: ${workload.metadata.name}`,
      );
      // A workload's selector must not also catch another component's pods.
      assert.equal(
        pods.filter((labels) => matches(selector, labels)).length,
        1,
        `${file}: ${workload.metadata.name}`,
      );
    }
    for (const manifest of manifests) {
      if (manifest.kind === 'Service' || manifest.kind === 'PodDisruptionBudget') {
        const [selector] = selectorsOf(manifest);
        assert.equal(
          pods.filter((labels) => matches(selector!.labels, labels)).length,
          1,
          `${file}: ${manifest.kind} ${manifest.metadata.name} selects exactly one workload's pods`,
        );
      }
      if (manifest.kind === 'ServiceMonitor') {
        const selector = matchLabelsOf(manifest);
        const services = manifests.filter(
          (m) => m.kind === 'Service' && matches(selector, m.metadata.labels),
        );
        assert.equal(
          services.length,
          1,
          `${file}: ServiceMonitor ${manifest.metadata.name} finds one Service`,
        );
        const portNames = (services[0]!.spec?.ports ?? []).map((p) => p.name);
        for (const endpoint of manifest.spec?.endpoints ?? []) {
          assert.ok(
            portNames.includes(endpoint.port),
            `${file}: port ${endpoint.port} in ${portNames.join(',')}`,
          );
        }
      }
    }
  }
});

test('every container is hardened, sized and has separate liveness and readiness probes', async () => {
  for (const { file, manifests } of await renderAllCi()) {
    for (const workload of workloads(manifests)) {
      const pod = podTemplate(workload).spec;
      assert.equal(
        pod.securityContext?.runAsNonRoot,
        true,
        `${file}: ${workload.metadata.name} pod runAsNonRoot`,
      );
      assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${file}: pod seccomp`);
      assert.equal(
        pod.automountServiceAccountToken,
        false,
        `${file}: ${workload.metadata.name} mounts no API token`,
      );
      for (const container of containersOf(workload)) {
        const where = `${file}: ${workload.metadata.name}/${container.name}`;
        const security = container.securityContext;
        assert.equal(security?.runAsNonRoot, true, `${where} runAsNonRoot`);
        assert.equal(security?.readOnlyRootFilesystem, true, `${where} readOnlyRootFilesystem`);
        assert.equal(security?.allowPrivilegeEscalation, false, `${where} allowPrivilegeEscalation`);
        assert.notEqual(security?.privileged, true, `${where} privileged`);
        assert.deepEqual(security?.capabilities?.drop, ['ALL'], `${where} drops ALL capabilities`);
        assert.equal(security?.capabilities?.add, undefined, `${where} adds no capabilities`);
        assert.equal(security?.seccompProfile?.type, 'RuntimeDefault', `${where} seccompProfile`);
        assert.ok(container.resources?.requests?.['memory'], `${where} requests memory`);
        assert.ok(container.resources?.requests?.['cpu'], `${where} requests cpu`);
        assert.ok(container.resources?.limits?.['memory'], `${where} limits memory`);
        assert.ok(container.livenessProbe, `${where} has a livenessProbe`);
        assert.ok(container.readinessProbe, `${where} has a readinessProbe`);
        assert.notDeepEqual(container.livenessProbe, container.readinessProbe, `${where} probes differ`);
      }
    }
  }
});

test('the api probes /livez and /readyz; the worker has a grace period of at least 30 s', async () => {
  for (const { file, manifests } of await renderAllCi()) {
    const api = findOne(manifests, 'Deployment', 'api');
    const [apiContainer] = podTemplate(api).spec.containers;
    assert.deepEqual(apiContainer?.args, ['api']);
    assert.deepEqual(apiContainer?.livenessProbe, {
      ...(apiContainer?.livenessProbe as object),
      httpGet: { path: '/livez', port: 'http' },
    });
    assert.deepEqual(apiContainer?.readinessProbe, {
      ...(apiContainer?.readinessProbe as object),
      httpGet: { path: '/readyz', port: 'http' },
    });

    const worker = findOne(manifests, 'Deployment', 'worker');
    const workerPod = podTemplate(worker).spec;
    assert.deepEqual(workerPod.containers[0]?.args, ['worker']);
    assert.ok(
      (workerPod.terminationGracePeriodSeconds ?? 30) >= 30,
      `${file}: worker terminationGracePeriodSeconds is ${workerPod.terminationGracePeriodSeconds}`,
    );
    assert.equal(typeof workerPod.terminationGracePeriodSeconds, 'number', `${file}: set explicitly`);
  }
});

test('the schema keeps the worker grace period at 30 s or more', async () => {
  const result = await run(
    await helmPath(),
    templateArgs([join(ciDir, 'default-values.yaml')], ['--set', 'worker.terminationGracePeriodSeconds=10']),
  );
  assert.equal(result.code, 1);
  assert.match(result.stderr, /at '\/worker\/terminationGracePeriodSeconds': minimum: got 10, want 30/);
});

test('secrets never appear in a ConfigMap or a plain env value; secret env vars come from Secrets', async () => {
  const secretEnvNames = [
    'CONDASYNC_REDIS_URL',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'CONDASYNC_API_TOKENS',
    'CONDASYNC_SECRET_KEY',
  ];
  for (const { file, manifests } of await renderAllCi()) {
    const values = load(await readFile(join(ciDir, file), 'utf8'));
    const secrets = new Set(secretValuesOf(values));
    for (const secret of manifests.filter((m) => m.kind === 'Secret')) {
      for (const encoded of Object.values(secret.data ?? {})) {
        secrets.add(Buffer.from(encoded, 'base64').toString('utf8'));
      }
    }
    const configMaps = manifests.filter((m) => m.kind === 'ConfigMap');
    assert.ok(configMaps.length > 0, file);
    for (const configMap of configMaps) {
      for (const [key, value] of Object.entries(configMap.data ?? {})) {
        assert.doesNotMatch(
          key,
          /TOKEN|SECRET|PASSWORD|REDIS_URL|ACCESS_KEY/,
          `${file}: ConfigMap key ${key}`,
        );
        for (const secret of secrets) {
          assert.ok(
            !value.includes(secret),
            `${file}: ConfigMap ${configMap.metadata.name} ${key} holds a secret`,
          );
        }
      }
    }
    for (const workload of workloads(manifests)) {
      for (const container of containersOf(workload)) {
        for (const env of container.env ?? []) {
          if (secretEnvNames.includes(env.name) || /PASSWORD|TOKEN/.test(env.name)) {
            assert.ok(
              env.valueFrom?.secretKeyRef,
              `${file}: ${container.name} ${env.name} comes from a Secret`,
            );
          }
          for (const secret of secrets) {
            assert.ok(!env.value?.includes(secret), `${file}: ${container.name} ${env.name} holds a secret`);
          }
        }
      }
    }
  }
});

test('only the api gets the API tokens; both get Redis, storage and the secret key', async () => {
  const { manifests } = await renderCi('all-features-values.yaml');
  const envNames = (component: string): string[] =>
    (podTemplate(findOne(manifests, 'Deployment', component)).spec.containers[0]?.env ?? []).map(
      (e) => e.name,
    );
  assert.ok(envNames('api').includes('CONDASYNC_API_TOKENS'));
  assert.ok(envNames('api').includes('CONDASYNC_CHANNEL_TOKENS'));
  assert.ok(!envNames('worker').includes('CONDASYNC_API_TOKENS'));
  for (const component of ['api', 'worker']) {
    // The API seals stored configs with the secret key and the workers open them: both need it.
    for (const name of [
      'CONDASYNC_REDIS_URL',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'CONDASYNC_SECRET_KEY',
    ]) {
      assert.ok(envNames(component).includes(name), `${component} has ${name}`);
    }
  }
});

test('existing Secrets replace the chart Secret, and IRSA needs no S3 keys', async () => {
  const external = (await renderCi('external-secrets-values.yaml')).manifests;
  assert.equal(external.filter((m) => m.kind === 'Secret').length, 0, 'no chart Secret');
  const env = podTemplate(findOne(external, 'Deployment', 'api')).spec.containers[0]?.env ?? [];
  const ref = (name: string): unknown => env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
  assert.deepEqual(ref('CONDASYNC_REDIS_URL'), { name: 'condasync-redis', key: 'url' });
  assert.deepEqual(ref('AWS_ACCESS_KEY_ID'), { name: 'condasync-s3', key: 'access-key-id' });
  assert.deepEqual(ref('AWS_SECRET_ACCESS_KEY'), { name: 'condasync-s3', key: 'secret-access-key' });
  assert.deepEqual(ref('CONDASYNC_API_TOKENS'), { name: 'condasync-tokens', key: 'CONDASYNC_API_TOKENS' });

  const irsa = (await renderCi('irsa-values.yaml')).manifests;
  const irsaEnv = (podTemplate(findOne(irsa, 'Deployment', 'worker')).spec.containers[0]?.env ?? []).map(
    (e) => e.name,
  );
  assert.ok(!irsaEnv.includes('AWS_ACCESS_KEY_ID'));
  const serviceAccount = irsa.find((m) => m.kind === 'ServiceAccount');
  assert.equal(
    serviceAccount?.metadata.annotations?.['eks.amazonaws.com/role-arn'],
    'arn:aws:iam::123456789012:role/condasync',
  );
});

test('the pods roll when the config changes (checksum annotations)', async () => {
  const defaults = [join(ciDir, 'default-values.yaml')];
  const checksums = async (extra: string[]): Promise<Record<string, string>> => {
    const manifests = parseManifests(await render(defaults, extra));
    const annotations = podTemplate(findOne(manifests, 'Deployment', 'worker')).metadata.annotations ?? {};
    assert.match(annotations['checksum/config'] ?? '', /^[0-9a-f]{64}$/);
    assert.match(annotations['checksum/secret'] ?? '', /^[0-9a-f]{64}$/);
    return annotations;
  };
  const before = await checksums([]);
  const logLevel = await checksums(['--set', 'config.logLevel=debug']);
  const token = await checksums(['--set', 'auth.apiTokens[0]=another-token-0123456789']);
  assert.notEqual(logLevel['checksum/config'], before['checksum/config']);
  assert.equal(logLevel['checksum/secret'], before['checksum/secret']);
  assert.notEqual(token['checksum/secret'], before['checksum/secret']);
});

test('optional features are off by default and each ci file turns its own on', async () => {
  const kinds = async (file: string): Promise<string[]> =>
    (await renderCi(file)).manifests.map((m) => m.kind).sort();
  assert.deepEqual(await kinds('default-values.yaml'), [
    'ConfigMap',
    'Deployment',
    'Deployment',
    'Secret',
    'Service',
    'Service',
    'ServiceAccount',
  ]);
  assert.ok((await kinds('ingress-values.yaml')).includes('Ingress'));
  assert.deepEqual(
    (await kinds('servicemonitor-values.yaml')).filter((k) => k === 'ServiceMonitor'),
    ['ServiceMonitor', 'ServiceMonitor'],
  );
  assert.deepEqual(
    (await kinds('pdb-values.yaml')).filter((k) => k === 'PodDisruptionBudget'),
    ['PodDisruptionBudget', 'PodDisruptionBudget'],
  );
  assert.ok((await kinds('networkpolicy-values.yaml')).includes('NetworkPolicy'));
  assert.ok((await kinds('bundled-redis-values.yaml')).includes('StatefulSet'));

  const hpa = (await renderCi('hpa-values.yaml')).manifests;
  assert.ok(hpa.some((m) => m.kind === 'HorizontalPodAutoscaler'));
  // With an HPA the Deployment leaves replicas to it (helm upgrade would otherwise reset them).
  assert.equal(findOne(hpa, 'Deployment', 'worker').spec?.replicas, undefined);
  assert.ok((await kinds('prometheusrule-values.yaml')).includes('PrometheusRule'));
  assert.ok((await kinds('keda-values.yaml')).includes('ScaledObject'));
  assert.equal((await kinds('grafana-dashboard-values.yaml')).filter((k) => k === 'ConfigMap').length, 2);
});

/** Dotted paths of every leaf value (an empty map or list counts as a leaf). */
function valuePaths(values: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const isMap = value !== null && typeof value === 'object' && !Array.isArray(value);
    return isMap && Object.keys(value).length > 0
      ? valuePaths(value as Record<string, unknown>, path)
      : [path];
  });
}

test('the chart README lists every value of values.yaml, and nothing else', async () => {
  const values = load(await readFile(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const readme = await readFile(join(chartDir, 'README.md'), 'utf8');
  // Rows `| \`key\` | \`default\` | meaning |`, padded or not.
  const listed = [...readme.matchAll(/^\| `([\w.]+)` +\| `.*` +\| (.*?) *\|$/gm)];
  assert.deepEqual(
    listed.map((row) => row[1]),
    valuePaths(values),
  );
  for (const row of listed) assert.ok(row[2]!.trim().length > 10, `${row[1]} has a description`);
});

// --- monitoring: the rules, the dashboard and KEDA --------------------------------------------

const filesDir = join(chartDir, 'files');

test('the PrometheusRule carries files/prometheus-rules.yaml, with the additional alert labels', async () => {
  const { manifests } = await renderCi('prometheusrule-values.yaml');
  const rule = manifests.find((m) => m.kind === 'PrometheusRule') as unknown as {
    metadata: Metadata;
    spec: { groups: { name: string; rules: { alert?: string; record?: string; labels?: object }[] }[] };
  };
  assert.equal(rule.metadata.labels?.['release'], 'prometheus');
  const source = load(await readFile(join(filesDir, 'prometheus-rules.yaml'), 'utf8')) as {
    groups: { name: string; rules: { alert?: string; record?: string; labels?: object }[] }[];
  };
  assert.deepEqual(
    rule.spec.groups.map((g) => g.name),
    source.groups.map((g) => g.name),
  );
  const rendered = rule.spec.groups.flatMap((g) => g.rules);
  const original = source.groups.flatMap((g) => g.rules);
  assert.equal(rendered.length, original.length);
  for (const [index, one] of rendered.entries()) {
    const from = original[index]!;
    const labels = from.alert === undefined ? from.labels : { ...from.labels, team: 'platform' };
    assert.deepEqual(one, { ...from, ...(labels === undefined ? {} : { labels }) }, one.alert ?? one.record);
  }
  assert.ok(rendered.some((r) => r.alert === 'CondasyncMirrorStale'));
});

test('the dashboard ConfigMap holds files/grafana-dashboard.json for the Grafana sidecar', async () => {
  const { manifests } = await renderCi('grafana-dashboard-values.yaml');
  const dashboard = manifests.find((m) => m.kind === 'ConfigMap' && m.data?.['condasync.json']);
  assert.ok(dashboard, 'a ConfigMap with condasync.json');
  assert.equal(dashboard.metadata.labels?.['grafana_dashboard'], '1');
  assert.equal((dashboard.metadata as { namespace?: string }).namespace, 'monitoring');
  assert.equal(dashboard.metadata.annotations?.['grafana_folder'], 'condasync');
  const file = await readFile(join(filesDir, 'grafana-dashboard.json'), 'utf8');
  assert.deepEqual(JSON.parse(dashboard.data?.['condasync.json'] ?? ''), JSON.parse(file));
});

test('KEDA scales the worker Deployment on every queue of the release, and excludes the HPA', async () => {
  const { manifests } = await renderCi('keda-values.yaml');
  const scaled = manifests.find((m) => m.kind === 'ScaledObject') as unknown as {
    spec: {
      scaleTargetRef: { name: string };
      minReplicaCount: number;
      triggers: { type: string; metadata: Record<string, string> }[];
    };
  };
  const worker = findOne(manifests, 'Deployment', 'worker');
  assert.equal(scaled.spec.scaleTargetRef.name, worker.metadata.name);
  assert.equal(worker.spec?.replicas, undefined, 'KEDA owns the replicas');
  assert.equal(scaled.spec.minReplicaCount, 0);
  const [trigger] = scaled.spec.triggers;
  assert.equal(trigger?.type, 'prometheus');
  assert.equal(trigger?.metadata['threshold'], '128');
  assert.match(trigger?.metadata['query'] ?? '', /condasync_queue_jobs\{namespace="condasync-ci"/);
  assert.doesNotMatch(trigger?.metadata['query'] ?? '', /queue="package"/, 'plan jobs wake workers too');

  const helm = await helmPath();
  const keda = [join(ciDir, 'keda-values.yaml')];
  const both = await run(helm, templateArgs(keda, ['--set', 'worker.autoscaling.enabled=true']));
  assert.equal(both.code, 1);
  assert.match(both.stderr, /worker\.keda\.enabled and worker\.autoscaling\.enabled both scale the workers/);
  const noServer = await run(helm, templateArgs(keda, ['--set', 'worker.keda.prometheus.serverAddress=']));
  assert.equal(noServer.code, 1);
  assert.match(noServer.stderr, /worker\.keda\.enabled needs worker\.keda\.prometheus\.serverAddress/);
});

test('the bundled Redis runs with AOF and noeviction, and is reachable only by condasync pods', async () => {
  const { manifests } = await renderCi('networkpolicy-values.yaml');
  const redis = findOne(manifests, 'StatefulSet', 'redis');
  const command = (podTemplate(redis).spec.containers[0]?.command ?? []).join(' ');
  assert.match(command, /--appendonly yes/);
  assert.match(command, /--maxmemory-policy noeviction/);
  const policy = findOne(manifests, 'NetworkPolicy', 'redis');
  const peers = (policy.spec?.ingress ?? []).flatMap((rule) => rule.from ?? []);
  assert.deepEqual(
    peers.map((peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/component']).sort(),
    ['api', 'worker'],
  );
  // The apps reach it through the Secret's URL, which names the Redis Service.
  const secret = manifests.find((m) => m.kind === 'Secret');
  const url = Buffer.from(secret?.data?.['CONDASYNC_REDIS_URL'] ?? '', 'base64').toString('utf8');
  const service = findOne(manifests, 'Service', 'redis');
  assert.equal(url, `redis://${service.metadata.name}:6379`);
});

test('values.schema.json rejects an unknown key and a wrong type with the path in the message', async () => {
  const helm = await helmPath();
  const defaults = [join(ciDir, 'default-values.yaml')];
  const unknown = await run(helm, templateArgs(defaults, ['--set', 'api.replica=3']));
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /values don't meet the specifications of the schema/);
  assert.match(unknown.stderr, /at '\/api': additional properties 'replica' not allowed/);

  const topLevel = await run(helm, templateArgs(defaults, ['--set', 'replicas=3']));
  assert.equal(topLevel.code, 1);
  assert.match(topLevel.stderr, /additional properties 'replicas' not allowed/);

  const wrongType = await run(helm, templateArgs(defaults, ['--set-string', 'worker.concurrency=many']));
  assert.equal(wrongType.code, 1);
  assert.match(wrongType.stderr, /at '\/worker\/concurrency': got string, want integer/);

  const badEnum = await run(helm, templateArgs(defaults, ['--set', 'config.logLevel=verbose']));
  assert.equal(badEnum.code, 1);
  assert.match(badEnum.stderr, /at '\/config\/logLevel'/);
});

test('missing or contradictory settings fail the render with a message naming the values', async () => {
  const helm = await helmPath();
  const cases: { args: string[]; message: RegExp }[] = [
    { args: [], message: /storage\.url is required/ },
    {
      args: ['--set', 'storage.url=s3://b/p', '--set', 'redis.url=redis://r:6379'],
      message: /the API needs bearer tokens: set auth\.apiTokens or auth\.existingSecret/,
    },
    {
      args: ['--values', join(ciDir, 'default-values.yaml'), '--set', 'redis.bundled.enabled=true'],
      message: /set exactly one of redis\.url, redis\.existingSecret and redis\.bundled\.enabled \(found 2\)/,
    },
    {
      args: ['--values', join(ciDir, 'default-values.yaml'), '--set', 'storage.url=file:///data/mirror'],
      message: /storage\.filesystem\.existingClaim must name a ReadWriteMany PersistentVolumeClaim/,
    },
    {
      args: ['--values', join(ciDir, 'filesystem-values.yaml'), '--set', 'storage.url=file:///srv/mirror'],
      message: /storage\.url file:\/\/\/srv\/mirror is not inside storage\.filesystem\.mountPath \/data/,
    },
    {
      args: ['--values', join(ciDir, 'default-values.yaml'), '--set', 'storage.s3.secretAccessKey='],
      message: /accessKeyId and storage\.s3\.secretAccessKey go together/,
    },
  ];
  for (const { args, message } of cases) {
    const result = await run(helm, templateArgs([], args));
    assert.equal(result.code, 1, `helm template ${args.join(' ')} should fail`);
    assert.match(result.stderr, message);
  }
});
