{{/*
Helpers of the condasync chart. Every name starts with "condasync." so that, as a dependency of
another chart, ours never collide with the parent's.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "condasync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every resource name: fullnameOverride, else "<release>-<chart>" (just the release
name when it already contains the chart name).
*/}}
{{- define "condasync.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
"<fullname>-<suffix>", cut to the 63 characters a Service or label value may have.
Usage: include "condasync.componentName" (dict "context" $ "suffix" "api")
*/}}
{{- define "condasync.componentName" -}}
{{- printf "%s-%s" (include "condasync.fullname" .context) .suffix | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The helm.sh/chart label value: "<chart>-<version>". */}}
{{- define "condasync.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: name, instance and component. Selectors are immutable on Deployments and
StatefulSets, so they hold only what never changes across upgrades: never helm.sh/chart or the
app version.
Usage: include "condasync.selectorLabels" (dict "context" $ "component" "api")
*/}}
{{- define "condasync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "condasync.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Every label of a resource: the selector labels plus chart, version and commonLabels.
Usage: include "condasync.labels" (dict "context" $ "component" "api")
*/}}
{{- define "condasync.labels" -}}
helm.sh/chart: {{ include "condasync.chart" .context }}
{{ include "condasync.selectorLabels" . }}
app.kubernetes.io/version: {{ .context.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .context.Release.Service }}
app.kubernetes.io/part-of: condasync
{{- with .context.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The condasync image reference: repository:tag or repository@digest. */}}
{{- define "condasync.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{- define "condasync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "condasync.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "condasync.configMapName" -}}
{{- include "condasync.componentName" (dict "context" . "suffix" "config") }}
{{- end }}

{{- define "condasync.secretName" -}}
{{- include "condasync.componentName" (dict "context" . "suffix" "secret") }}
{{- end }}

{{- define "condasync.redisName" -}}
{{- include "condasync.componentName" (dict "context" . "suffix" "redis") }}
{{- end }}

{{/*
The key/value pairs of the chart's own Secret, as YAML (empty when everything comes from existing
Secrets or IRSA). Values stay plain here; secret.yaml encodes them.
*/}}
{{- define "condasync.secretData" -}}
{{- if .Values.redis.bundled.enabled }}
{{- $auth := "" }}
{{- if .Values.redis.bundled.password }}
{{- $auth = printf ":%s@" .Values.redis.bundled.password }}
{{- end }}
CONDASYNC_REDIS_URL: {{ printf "redis://%s%s:6379" $auth (include "condasync.redisName" .) | quote }}
{{- if .Values.redis.bundled.password }}
REDIS_PASSWORD: {{ .Values.redis.bundled.password | quote }}
{{- end }}
{{- else if not .Values.redis.existingSecret }}
CONDASYNC_REDIS_URL: {{ .Values.redis.url | quote }}
{{- end }}
{{- if and .Values.storage.s3.accessKeyId (not .Values.storage.s3.existingSecret) }}
AWS_ACCESS_KEY_ID: {{ .Values.storage.s3.accessKeyId | quote }}
AWS_SECRET_ACCESS_KEY: {{ .Values.storage.s3.secretAccessKey | quote }}
{{- end }}
{{- if not .Values.auth.existingSecret }}
{{- with .Values.auth.apiTokens }}
CONDASYNC_API_TOKENS: {{ join "," . | quote }}
{{- end }}
{{- with .Values.auth.channelTokens }}
CONDASYNC_CHANNEL_TOKENS: {{ join "," . | quote }}
{{- end }}
{{- with .Values.auth.secretKey }}
CONDASYNC_SECRET_KEY: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Fails the render with a message naming the values to set, for combinations a JSON schema cannot
express clearly. Called from every workload template, so `helm template` and `helm install` stop
before anything is applied.
*/}}
{{- define "condasync.validate" -}}
{{- $v := .Values }}
{{- if not $v.storage.url }}
{{- fail "storage.url is required: s3://bucket/prefix, or file:///path with storage.filesystem.existingClaim" }}
{{- end }}
{{- if hasPrefix "file://" $v.storage.url }}
{{- if not $v.storage.filesystem.existingClaim }}
{{- fail (printf "storage.url is %s, so storage.filesystem.existingClaim must name a ReadWriteMany PersistentVolumeClaim that the api and every worker mount (an emptyDir per pod would give each its own channel)" $v.storage.url) }}
{{- end }}
{{- $path := trimPrefix "file://" $v.storage.url }}
{{- $mount := trimSuffix "/" $v.storage.filesystem.mountPath }}
{{- if not (or (eq $path $mount) (hasPrefix (printf "%s/" $mount) $path)) }}
{{- fail (printf "storage.url %s is not inside storage.filesystem.mountPath %s, where the claim is mounted" $v.storage.url $v.storage.filesystem.mountPath) }}
{{- end }}
{{- end }}
{{- $redisSources := 0 }}
{{- if $v.redis.url }}{{ $redisSources = add1 $redisSources }}{{ end }}
{{- if $v.redis.existingSecret }}{{ $redisSources = add1 $redisSources }}{{ end }}
{{- if $v.redis.bundled.enabled }}{{ $redisSources = add1 $redisSources }}{{ end }}
{{- if ne (int $redisSources) 1 }}
{{- fail (printf "set exactly one of redis.url, redis.existingSecret and redis.bundled.enabled (found %d)" (int $redisSources)) }}
{{- end }}
{{- if and $v.storage.s3.existingSecret (or $v.storage.s3.accessKeyId $v.storage.s3.secretAccessKey) }}
{{- fail "set either storage.s3.existingSecret or storage.s3.accessKeyId/secretAccessKey, not both" }}
{{- end }}
{{- if ne (empty $v.storage.s3.accessKeyId) (empty $v.storage.s3.secretAccessKey) }}
{{- fail "storage.s3.accessKeyId and storage.s3.secretAccessKey go together: set both, or neither (IRSA, pod identity)" }}
{{- end }}
{{- if and $v.auth.existingSecret (or $v.auth.apiTokens $v.auth.channelTokens) }}
{{- fail "set either auth.existingSecret or auth.apiTokens/channelTokens, not both" }}
{{- end }}
{{- if not (or $v.auth.apiTokens $v.auth.existingSecret $v.auth.allowUnauthenticated) }}
{{- fail "the API needs bearer tokens: set auth.apiTokens or auth.existingSecret (or auth.allowUnauthenticated=true for a trial on a private network)" }}
{{- end }}
{{- if and $v.ingress.enabled (not $v.ingress.hosts) }}
{{- fail "ingress.enabled needs at least one entry in ingress.hosts" }}
{{- end }}
{{- end }}

{{/*
Environment of both roles that comes from Secrets: Redis URL and S3 keys.
*/}}
{{- define "condasync.secretEnv" -}}
- name: CONDASYNC_REDIS_URL
  valueFrom:
    secretKeyRef:
      {{- if .Values.redis.existingSecret }}
      name: {{ .Values.redis.existingSecret }}
      key: {{ .Values.redis.existingSecretKey }}
      {{- else }}
      name: {{ include "condasync.secretName" . }}
      key: CONDASYNC_REDIS_URL
      {{- end }}
{{- if or .Values.storage.s3.existingSecret .Values.storage.s3.accessKeyId }}
{{- $name := .Values.storage.s3.existingSecret | default (include "condasync.secretName" .) }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: {{ ternary .Values.storage.s3.existingSecretAccessKeyIdKey "AWS_ACCESS_KEY_ID" (not (empty .Values.storage.s3.existingSecret)) }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: {{ ternary .Values.storage.s3.existingSecretSecretAccessKeyKey "AWS_SECRET_ACCESS_KEY" (not (empty .Values.storage.s3.existingSecret)) }}
{{- end }}
{{- if .Values.auth.existingSecret }}
- name: CONDASYNC_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.auth.existingSecret }}
      key: {{ .Values.auth.existingSecretSecretKeyKey }}
      optional: true
{{- else if .Values.auth.secretKey }}
- name: CONDASYNC_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "condasync.secretName" . }}
      key: CONDASYNC_SECRET_KEY
{{- end }}
{{- end }}

{{/*
Pod annotations that roll the pods when their configuration changes (ConfigMap or chart Secret):
Kubernetes does not restart pods for changed env sources by itself.
*/}}
{{- define "condasync.checksumAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}

{{/* Volumes both roles mount: the work dir, /tmp, and the shared filesystem store if any. */}}
{{- define "condasync.volumes" -}}
- name: work
  emptyDir:
    sizeLimit: {{ .Values.workDir.sizeLimit }}
- name: tmp
  emptyDir:
    sizeLimit: 512Mi
{{- if .Values.storage.filesystem.existingClaim }}
- name: storage
  persistentVolumeClaim:
    claimName: {{ .Values.storage.filesystem.existingClaim }}
{{- end }}
{{- end }}

{{- define "condasync.volumeMounts" -}}
- name: work
  mountPath: {{ .Values.workDir.mountPath }}
- name: tmp
  mountPath: /tmp
{{- if .Values.storage.filesystem.existingClaim }}
- name: storage
  mountPath: {{ .Values.storage.filesystem.mountPath }}
{{- end }}
{{- end }}

{{/* Settings of both roles' pod specs that only differ by values. */}}
{{- define "condasync.podCommon" -}}
serviceAccountName: {{ include "condasync.serviceAccountName" . }}
# condasync calls no Kubernetes API; IRSA / pod identity inject their own token volume.
automountServiceAccountToken: false
# Service links would add *_SERVICE_HOST/*_PORT variables named after Services (a Service called
# condasync-redis yields CONDASYNC_REDIS_PORT=tcp://…), crowding the app's own namespace.
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/* The base URL clients use, for NOTES.txt. */}}
{{- define "condasync.externalUrl" -}}
{{- if .Values.ingress.enabled }}
{{- $host := (first .Values.ingress.hosts).host }}
{{- $scheme := "http" }}
{{- range .Values.ingress.tls }}
{{- if has $host .hosts }}{{ $scheme = "https" }}{{ end }}
{{- end }}
{{- printf "%s://%s" $scheme $host }}
{{- else }}
{{- print "http://localhost:8080" }}
{{- end }}
{{- end }}
