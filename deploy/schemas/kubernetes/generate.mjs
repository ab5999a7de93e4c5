#!/usr/bin/env node
// Writes the Kubernetes JSON schemas the chart tests give kubeconform (offline), from the
// OpenAPI v2 document (api/openapi-spec/swagger.json) of the Go module k8s.io/kubernetes.
//
//   node deploy/schemas/kubernetes/generate.mjs [--kubernetes-version v1.35.4] [--swagger FILE]
//
// Without --swagger it fetches the module through the Go module proxy (`go mod download`) into a
// temporary module cache and removes it afterwards. Output: one file per kind the chart can
// render, named as kubeconform looks them up ({kind}-{group}-{version}.json, lower case), each
// standalone (every $ref inlined) and strict (additionalProperties: false wherever an object
// lists its properties), like kubeconform's own "-standalone-strict" schemas.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** The kinds deploy/helm/condasync can render (ServiceMonitor is a CRD: hand-written beside). */
const KINDS = [
  { group: '', version: 'v1', kind: 'ConfigMap' },
  { group: '', version: 'v1', kind: 'Secret' },
  { group: '', version: 'v1', kind: 'Service' },
  { group: '', version: 'v1', kind: 'ServiceAccount' },
  { group: '', version: 'v1', kind: 'PersistentVolumeClaim' },
  { group: 'apps', version: 'v1', kind: 'Deployment' },
  { group: 'apps', version: 'v1', kind: 'StatefulSet' },
  { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
  { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' },
  { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' },
];

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

const { values } = parseArgs({
  options: {
    'kubernetes-version': { type: 'string', default: 'v1.35.4' },
    swagger: { type: 'string' },
    out: { type: 'string', default: import.meta.dirname },
  },
});

function loadSwagger() {
  if (values.swagger) return { swagger: JSON.parse(readFileSync(values.swagger, 'utf8')), source: values.swagger };
  const version = values['kubernetes-version'];
  const cache = mkdtempSync(join(tmpdir(), 'k8s-openapi-'));
  try {
    const out = execFileSync('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${version}`], {
      env: { ...process.env, GOMODCACHE: cache, GOFLAGS: '-modcacherw', GOTOOLCHAIN: 'local' },
      cwd: cache,
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    const info = JSON.parse(out);
    if (info.Error) throw new Error(`go mod download k8s.io/kubernetes@${version}: ${info.Error}`);
    const swagger = JSON.parse(readFileSync(join(info.Dir, 'api/openapi-spec/swagger.json'), 'utf8'));
    return { swagger, source: `k8s.io/kubernetes@${info.Version} (${info.Sum})` };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

/** JSON Schema `type` that also accepts null, as the API server does for optional fields. */
function nullable(type) {
  const types = Array.isArray(type) ? type : [type];
  return types.includes('null') ? types : [...types, 'null'];
}

function convert(node, definitions, stack) {
  if (node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) return node.map((item) => convert(item, definitions, stack));
  if (typeof node.$ref === 'string') {
    const name = node.$ref.replace(/^#\/definitions\//, '');
    if (name === INT_OR_STRING) return { oneOf: [{ type: 'string' }, { type: 'integer' }] };
    if (name === QUANTITY) return { oneOf: [{ type: 'string' }, { type: 'number' }] };
    if (stack.includes(name)) throw new Error(`recursive definition ${[...stack, name].join(' → ')}`);
    const target = definitions[name];
    if (!target) throw new Error(`unknown $ref ${node.$ref}`);
    return convert(target, definitions, [...stack, name]);
  }
  const result = {};
  for (const [key, value] of Object.entries(node)) {
    // Descriptions are most of the bytes and kubeconform never shows them; x-kubernetes-*
    // extensions are not JSON Schema.
    if (key === 'description' || key.startsWith('x-kubernetes-')) continue;
    if (key === 'properties') {
      result.properties = Object.fromEntries(
        Object.entries(value).map(([name, property]) => [name, convert(property, definitions, stack)]),
      );
    } else if (key === 'items' || key === 'additionalProperties') {
      result[key] = typeof value === 'object' ? convert(value, definitions, stack) : value;
    } else if (key === 'type') {
      result.type = nullable(value);
    } else if (key === 'format' && value === 'int-or-string') {
      delete result.type;
      result.oneOf = [{ type: 'string' }, { type: 'integer' }];
    } else {
      result[key] = value;
    }
  }
  if (result.oneOf && result.type) delete result.type;
  if (result.properties && result.additionalProperties === undefined) result.additionalProperties = false;
  return result;
}

function fileName({ group, version, kind }) {
  const groupPart = group === '' ? '' : `-${group.split('.')[0]}`;
  return `${kind}${groupPart}-${version}.json`.toLowerCase();
}

const { swagger, source } = loadSwagger();
const definitions = swagger.definitions;
for (const wanted of KINDS) {
  const entry = Object.entries(definitions).find(([, definition]) =>
    (definition['x-kubernetes-group-version-kind'] ?? []).some(
      (gvk) => gvk.group === wanted.group && gvk.version === wanted.version && gvk.kind === wanted.kind,
    ),
  );
  if (!entry) throw new Error(`${source} has no definition of ${JSON.stringify(wanted)}`);
  const [name, definition] = entry;
  const schema = convert(definition, definitions, [name]);
  const apiVersion = wanted.group === '' ? wanted.version : `${wanted.group}/${wanted.version}`;
  schema.properties.apiVersion = { type: 'string', enum: [apiVersion] };
  schema.properties.kind = { type: 'string', enum: [wanted.kind] };
  schema.required = [...new Set([...(schema.required ?? []), 'apiVersion', 'kind'])];
  schema.type = 'object';
  const document = { $schema: 'http://json-schema.org/draft-07/schema#', $comment: `${name} from ${source}`, ...schema };
  const file = join(values.out, fileName(wanted));
  writeFileSync(file, `${JSON.stringify(document, null, 1)}\n`);
  process.stdout.write(`${fileName(wanted)}  ${name}\n`);
}
