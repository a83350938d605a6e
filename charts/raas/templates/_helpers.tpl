{{/*
Chart name, truncated to 63 characters (DNS label limit).
*/}}
{{- define "raas.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name: <release>-<chart>, or the release name when it already contains the
chart name. Truncated to 63 characters.
*/}}
{{- define "raas.fullname" -}}
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

{{- define "raas.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: stable for the life of the release (never add version labels here).
*/}}
{{- define "raas.selectorLabels" -}}
app.kubernetes.io/name: {{ include "raas.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/*
Common labels. Objects created by the chart are managed by Helm; objects the operator
creates at runtime carry app.kubernetes.io/managed-by: raas instead (operator/README.md).
*/}}
{{- define "raas.labels" -}}
helm.sh/chart: {{ include "raas.chart" . }}
{{ include "raas.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: raas
{{- end }}

{{- define "raas.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "raas.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The operator's image reference: repository@digest, else repository:tag (tag defaults to appVersion).
*/}}
{{- define "raas.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The runner image (RAAS_RUNNER_IMAGE): runner.image, else the operator's own image.
*/}}
{{- define "raas.runnerImage" -}}
{{- default (include "raas.image" .) .Values.runner.image }}
{{- end }}

{{- define "raas.leaseName" -}}
{{- default (printf "%s-leader" (include "raas.fullname" .) | trunc 63 | trimSuffix "-") .Values.leaderElection.leaseName }}
{{- end }}

{{/*
Checks that cannot be expressed in values.schema.json.
*/}}
{{- define "raas.validate" -}}
{{- if and (not .Values.leaderElection.enabled) (gt (int .Values.replicaCount) 1) }}
{{- fail (printf "leaderElection.enabled=false with replicaCount=%d: without a Lease every replica would reconcile, creating Jobs twice. Enable leader election or set replicaCount=1." (int .Values.replicaCount)) }}
{{- end }}
{{- end }}

{{/*
The results page and API (`raas web`): its own name, ServiceAccount and selector labels,
so the web pods never match the operator's Service or PodDisruptionBudget.
*/}}
{{- define "raas.webName" -}}
{{- printf "%s-web" (include "raas.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "raas.webSelectorLabels" -}}
app.kubernetes.io/name: {{ include "raas.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: web
{{- end }}

{{- define "raas.webLabels" -}}
helm.sh/chart: {{ include "raas.chart" . }}
{{ include "raas.webSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: raas
{{- end }}

{{- define "raas.webServiceAccountName" -}}
{{- default (include "raas.webName" .) .Values.web.serviceAccount.name }}
{{- end }}
