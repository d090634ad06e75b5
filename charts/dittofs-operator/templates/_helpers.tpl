{{/*
Naming and labels shared by every template.
*/}}

{{/* The chart name, as used in names and the app.kubernetes.io/name label. */}}
{{- define "dittofs-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's objects. It is kept to 52 characters so that
"<fullname>-leader-election" and the other suffixed names stay within 63.
*/}}
{{- define "dittofs-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "dittofs-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object of the release. */}}
{{- define "dittofs-operator.labels" -}}
helm.sh/chart: {{ include "dittofs-operator.chart" . }}
{{ include "dittofs-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: dittofs
{{- end }}

{{/*
Labels that select the operator pods. The operator receives them
(--operator-pod-labels) to admit its own pods in the NetworkPolicies it writes.
*/}}
{{- define "dittofs-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dittofs-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The same labels as a selector string: name=value,name=value. */}}
{{- define "dittofs-operator.selectorLabelsString" -}}
{{- printf "app.kubernetes.io/name=%s,app.kubernetes.io/instance=%s" (include "dittofs-operator.name" .) .Release.Name }}
{{- end }}

{{- define "dittofs-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "dittofs-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The subjects of the operator's role bindings. */}}
{{- define "dittofs-operator.subjects" -}}
- kind: ServiceAccount
  name: {{ include "dittofs-operator.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end }}

{{- define "dittofs-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Objects serving the admission webhook. */}}
{{- define "dittofs-operator.webhookServiceName" -}}
{{- printf "%s-webhook" (include "dittofs-operator.fullname" .) }}
{{- end }}

{{- define "dittofs-operator.webhookSecretName" -}}
{{- printf "%s-webhook-tls" (include "dittofs-operator.fullname" .) }}
{{- end }}

{{- define "dittofs-operator.webhookCertificateName" -}}
{{- printf "%s-webhook" (include "dittofs-operator.fullname" .) }}
{{- end }}

{{- define "dittofs-operator.policyConfigMapName" -}}
{{- printf "%s-policies" (include "dittofs-operator.fullname" .) }}
{{- end }}

{{/* True (non-empty) when the release mounts a policy directory. */}}
{{- define "dittofs-operator.hasPolicies" -}}
{{- if or .Values.policies.custom .Values.policies.data }}true{{ end }}
{{- end }}

{{/*
The namespaces that get the operator's namespaced rules as Roles when
rbac.watchNamespaces is set: every watched namespace and the release's own,
where the operator keeps its webhook certificate Secret and events.
*/}}
{{- define "dittofs-operator.roleNamespaces" -}}
{{- $namespaces := append (.Values.rbac.watchNamespaces | default list) .Release.Namespace }}
{{- $namespaces | uniq | sortAlpha | join "," }}
{{- end }}

{{/* Checks of combinations the schema cannot express. */}}
{{- define "dittofs-operator.validate" -}}
{{- if and .Values.policies.replaceDefaults (not .Values.policies.custom) }}
{{- fail "policies.replaceDefaults needs policies.custom: without the default policy, the custom modules must define the whole decision" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.service.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.service.enabled: the ServiceMonitor selects the metrics Service" }}
{{- end }}
{{- end }}
