{{/* Chart name, for labels. */}}
{{- define "moe-mesh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Prefix of every object's name. At most 40 characters so that "<fullname>-expert-<group>" (group names have at most
15) stays within the 63 of a DNS label, which a Service name must be.
*/}}
{{- define "moe-mesh.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "moe-mesh.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Object names of each part. */}}
{{- define "moe-mesh.gatewayName" -}}{{ include "moe-mesh.fullname" . }}-gateway{{- end }}
{{- define "moe-mesh.routerName" -}}{{ include "moe-mesh.fullname" . }}-router{{- end }}
{{- define "moe-mesh.attentionName" -}}{{ include "moe-mesh.fullname" . }}-attention{{- end }}
{{/* dict "root" $ "group" $group */}}
{{- define "moe-mesh.expertName" -}}{{ include "moe-mesh.fullname" .root }}-expert-{{ .group.name }}{{- end }}

{{/* Labels every object carries besides its selector labels. */}}
{{- define "moe-mesh.commonLabels" -}}
helm.sh/chart: {{ include "moe-mesh.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: moe-mesh
{{- end }}

{{/* All labels of one part's objects: dict "root" $ ["component" "gateway"] ["group" "g0"] */}}
{{- define "moe-mesh.labels" -}}
{{ include "moe-mesh.commonLabels" .root }}
{{ include "moe-mesh.selectorLabels" . }}
{{- end }}

{{/* Selector labels of one part: dict "root" $ "component" "gateway" ["group" "g0"] */}}
{{- define "moe-mesh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "moe-mesh.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- if .group }}
moe-mesh.io/expert-group: {{ .group }}
{{- end }}
{{- end }}

{{/* "registry/repository:tag" of a service: dict "root" $ "image" .Values.gateway.image */}}
{{- define "moe-mesh.image" -}}
{{- $registry := default .root.Values.image.registry .image.registry }}
{{- $tag := default (default .root.Chart.AppVersion .root.Values.image.tag) .image.tag }}
{{- if $registry }}
{{- printf "%s/%s:%s" (trimSuffix "/" $registry) .image.repository $tag }}
{{- else }}
{{- printf "%s:%s" .image.repository $tag }}
{{- end }}
{{- end }}

{{/* The checkpoint directory inside every container. */}}
{{- define "moe-mesh.modelDir" -}}
{{- if .Values.model.path }}
{{- printf "%s/%s" (trimSuffix "/" .Values.model.mountPath) (trimPrefix "/" .Values.model.path) }}
{{- else }}
{{- .Values.model.mountPath }}
{{- end }}
{{- end }}

{{/* host:port of a part's Service inside the namespace (Service name only: resolved through the pod's search path). */}}
{{- define "moe-mesh.endpoint" -}}
{{- printf "%s:%d" .name (int .root.Values.containerPort) }}
{{- end }}

{{/*
The router's view of the expert groups, MOEMESH_ROUTER_EXPERT_GROUPS: "GROUP=HOST:PORT,...", HOST being the group's
headless Service, whose DNS answer is the group's ready pods.
*/}}
{{- define "moe-mesh.routerExpertGroups" -}}
{{- $root := . }}
{{- $entries := list }}
{{- range .Values.expertGroups }}
{{- $service := include "moe-mesh.expertName" (dict "root" $root "group" .) }}
{{- $entries = append $entries (printf "%s=%s" .name (include "moe-mesh.endpoint" (dict "root" $root "name" $service))) }}
{{- end }}
{{- join "," $entries }}
{{- end }}

{{/* Name of the custom metric the expert HPAs scale on, served by the Prometheus adapter. */}}
{{- define "moe-mesh.expertLoadMetric" -}}moemesh_expert_tokens_per_second{{- end }}
{{/* The counter each expert-service exports, from which the adapter computes that metric. */}}
{{- define "moe-mesh.expertTokensCounter" -}}moemesh_expert_tokens_total{{- end }}

{{/* Fails the render on values the schema cannot express. */}}
{{- define "moe-mesh.validate" -}}
{{- if and .Values.model.pvc.claimName .Values.model.hostPath }}
{{- fail "model: set either model.pvc.claimName or model.hostPath, not both" }}
{{- end }}
{{- if not (or .Values.model.pvc.claimName .Values.model.hostPath) }}
{{- fail "model: set model.pvc.claimName (an existing claim holding the checkpoint) or model.hostPath" }}
{{- end }}
{{- if and .Values.gateway.apiKey.existingSecret .Values.gateway.apiKey.value }}
{{- fail "gateway.apiKey: set either existingSecret or value, not both" }}
{{- end }}
{{- if and .Values.gateway.grpc.separatePort (eq (int .Values.gateway.grpc.port) (int .Values.containerPort)) }}
{{- fail (printf "gateway.grpc.port: %d is the HTTP port; a separate gRPC port needs another one" (int .Values.gateway.grpc.port)) }}
{{- end }}
{{- if eq (int .Values.gateway.service.httpPort) (int .Values.gateway.service.grpcPort) }}
{{- fail (printf "gateway.service: httpPort and grpcPort are both %d; the Service needs two ports" (int .Values.gateway.service.httpPort)) }}
{{- end }}
{{- $seen := dict }}
{{- range .Values.expertGroups }}
{{- if hasKey $seen .name }}
{{- fail (printf "expertGroups: the name %q is used twice; each group needs its own Deployment and Service" .name) }}
{{- end }}
{{- $_ := set $seen .name true }}
{{- if gt (int .minReplicas) (int .maxReplicas) }}
{{- fail (printf "expertGroups[%s]: minReplicas %d is above maxReplicas %d" .name (int .minReplicas) (int .maxReplicas)) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The pod template every service shares. dict:
  root        $
  component   gateway | router | attention | expert
  group       expert group name or ""
  values      the part's values (image, resources, javaOpts, extraEnv, nodeSelector, ...)
  resources   resources to use (an expert group's own or the defaults)
  env         list of env entries of the part (dicts)
  grpcPort    a separate gRPC port number, or 0
*/}}
{{- define "moe-mesh.podTemplate" -}}
{{- $root := .root }}
{{- $v := .values -}}
metadata:
  # Selector labels only: a label that changes with the chart version would restart every pod (and re-read its
  # weights) on an upgrade that changes nothing else.
  labels:
    {{- include "moe-mesh.selectorLabels" (dict "root" $root "component" .component "group" .group) | nindent 4 }}
    app.kubernetes.io/part-of: moe-mesh
  {{- with .annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with $root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
  {{- with $root.Values.podSecurityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: {{ .component }}
      image: {{ include "moe-mesh.image" (dict "root" $root "image" $v.image) | quote }}
      imagePullPolicy: {{ default $root.Values.image.pullPolicy $v.image.pullPolicy }}
      {{- with $root.Values.securityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      ports:
        - name: http
          containerPort: {{ $root.Values.containerPort }}
          protocol: TCP
        {{- if .grpcPort }}
        - name: grpc
          containerPort: {{ .grpcPort }}
          protocol: TCP
        {{- end }}
      env:
        - name: QUARKUS_HTTP_PORT
          value: {{ $root.Values.containerPort | quote }}
        # The kernels use the Vector API, an incubator module: without it their classes are missing at run time.
        - name: JAVA_OPTS_APPEND
          value: {{ list "--add-modules=jdk.incubator.vector" "--enable-native-access=ALL-UNNAMED" $root.Values.jvm.options $v.javaOpts | compact | join " " | quote }}
        {{- with .env }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with $v.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      startupProbe:
        httpGet:
          path: /q/health/started
          port: http
        periodSeconds: {{ $root.Values.probes.startup.periodSeconds }}
        failureThreshold: {{ $root.Values.probes.startup.failureThreshold }}
        timeoutSeconds: {{ $root.Values.probes.startup.timeoutSeconds }}
      readinessProbe:
        httpGet:
          path: /q/health/ready
          port: http
        periodSeconds: {{ $root.Values.probes.readiness.periodSeconds }}
        failureThreshold: {{ $root.Values.probes.readiness.failureThreshold }}
        timeoutSeconds: {{ $root.Values.probes.readiness.timeoutSeconds }}
      livenessProbe:
        httpGet:
          path: /q/health/live
          port: http
        periodSeconds: {{ $root.Values.probes.liveness.periodSeconds }}
        failureThreshold: {{ $root.Values.probes.liveness.failureThreshold }}
        timeoutSeconds: {{ $root.Values.probes.liveness.timeoutSeconds }}
      {{- if $v.preStopSleepSeconds }}
      lifecycle:
        preStop:
          exec:
            command: ["sleep", {{ $v.preStopSleepSeconds | quote }}]
      {{- end }}
      {{- with .resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: model
          mountPath: {{ $root.Values.model.mountPath }}
          readOnly: true
        # The root filesystem is read-only; Vert.x and the JVM write their temporary files here.
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: model
      {{- if $root.Values.model.pvc.claimName }}
      persistentVolumeClaim:
        claimName: {{ $root.Values.model.pvc.claimName }}
        readOnly: true
      {{- else }}
      hostPath:
        path: {{ $root.Values.model.hostPath }}
        type: Directory
      {{- end }}
    - name: tmp
      emptyDir: {}
  {{- with $v.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* A PodDisruptionBudget: dict "root" $ "name" NAME "component" C "group" G "pdb" .Values.x.pdb */}}
{{- define "moe-mesh.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}
  labels:
    {{- include "moe-mesh.labels" (dict "root" .root "component" .component "group" .group) | nindent 4 }}
spec:
  {{- if and (hasKey .pdb "minAvailable") (hasKey .pdb "maxUnavailable") }}
  {{- fail (printf "%s: a PodDisruptionBudget takes minAvailable or maxUnavailable, not both (set the other to null)" .name) }}
  {{- else if hasKey .pdb "minAvailable" }}
  minAvailable: {{ .pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ if hasKey .pdb "maxUnavailable" }}{{ .pdb.maxUnavailable }}{{ else }}1{{ end }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "moe-mesh.selectorLabels" (dict "root" .root "component" .component "group" .group) | nindent 6 }}
{{- end }}

{{/* The Prometheus adapter rules (a YAML list) serving the expert HPAs' metric. */}}
{{- define "moe-mesh.adapterRules" -}}
- seriesQuery: '{{ include "moe-mesh.expertTokensCounter" . }}{namespace!="",pod!=""}'
  resources:
    overrides:
      namespace: {resource: namespace}
      pod: {resource: pod}
  name:
    matches: ^{{ include "moe-mesh.expertTokensCounter" . }}$
    as: {{ include "moe-mesh.expertLoadMetric" . }}
  metricsQuery: sum(rate(<<.Series>>{<<.LabelMatchers>>}[{{ .Values.prometheusAdapter.rateWindow }}])) by (<<.GroupBy>>)
{{- end }}
