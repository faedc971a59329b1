{{/* Chart name, at most 40 characters (object names add suffixes such as "-operator-metrics"). */}}
{{- define "vllm-router.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" }}
{{- end }}

{{/* Name prefix of every object: the release name, plus the chart name unless it is already in it. */}}
{{- define "vllm-router.fullname" -}}
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

{{/* Labels on every object. */}}
{{- define "vllm-router.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: vllm-router
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The operator's pod selector (immutable once installed). */}}
{{- define "vllm-router.operatorSelectorLabels" -}}
app.kubernetes.io/name: vllm-router-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "vllm-router.operatorLabels" -}}
{{ include "vllm-router.labels" . }}
{{ include "vllm-router.operatorSelectorLabels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "vllm-router.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (printf "%s-operator" (include "vllm-router.fullname" .)) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "vllm-router.operatorImage" -}}
{{- printf "%s:%s" .Values.operator.image.repository (default .Chart.AppVersion .Values.operator.image.tag) }}
{{- end }}

{{/* The operator's default proxy image (--proxy-image). */}}
{{- define "vllm-router.proxyImage" -}}
{{- printf "%s:%s" .Values.proxy.image.repository (default .Chart.AppVersion .Values.proxy.image.tag) }}
{{- end }}

{{/* "true" when the operator runs with --leader-elect: asked for, or more than one replica. */}}
{{- define "vllm-router.leaderElect" -}}
{{- if or .Values.operator.leaderElection (gt (int .Values.operator.replicas) 1) }}true{{ else }}false{{ end }}
{{- end }}

{{- define "vllm-router.leaseName" -}}
{{- printf "%s-operator" (include "vllm-router.fullname" .) }}
{{- end }}

{{/* The sample VLLMRouter's name: its proxy Service is http://<name>.<namespace>.svc. */}}
{{- define "vllm-router.routerName" -}}
{{- default (include "vllm-router.fullname" .) .Values.router.name }}
{{- end }}

{{/* The label engine pods carry for the sample VLLMRouter to select them. */}}
{{- define "vllm-router.routerLabelKey" -}}router.vllm.ai/router{{- end }}
