{{/* Names, labels and the files the chart renders. */}}

{{- define "floe.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* release-floe, or the release name alone when it already holds the chart's name */}}
{{- define "floe.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "floe.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "floe.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "floe.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "floe.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* A workload's selector labels. Takes (dict "root" $ "component" "connector" "workload" NAME). */}}
{{- define "floe.selectorLabels" -}}
app.kubernetes.io/name: {{ include "floe.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
floe.io/workload: {{ .workload }}
{{- end -}}

{{/* A connector's file: its config with name and metricsPort filled in. Takes (dict "root" $ "name" NAME "connector" VALUES). */}}
{{- define "floe.connectorFile" -}}
{{- $defaults := dict "name" .name "metricsPort" .root.Values.metrics.port -}}
{{- toYaml (merge (deepCopy .connector.config) $defaults) -}}
{{- end -}}

{{/* The maintenance file: its config with metricsPort filled in. */}}
{{- define "floe.maintenanceFile" -}}
{{- $defaults := dict "metricsPort" .Values.metrics.maintenancePort -}}
{{- toYaml (merge (deepCopy .Values.maintenance.config) $defaults) -}}
{{- end -}}

{{/*
The ingest file floe serve reads: its config with port, metricsPort, tls (serve.tls.secretName)
and, for the embedded catalog, warehouse (on the persistence volume) filled in when absent.
*/}}
{{- define "floe.serveFile" -}}
{{- $s := .Values.serve -}}
{{- $defaults := dict "port" 8080 "metricsPort" .Values.metrics.port -}}
{{- with $s.tls.secretName }}
{{- $_ := set $defaults "tls" (dict "cert" "/var/run/secrets/floe/tls/tls.crt" "key" "/var/run/secrets/floe/tls/tls.key") -}}
{{- end }}
{{- if not $s.config.catalog }}
{{- $_ := set $defaults "warehouse" (printf "%s/warehouse" (trimSuffix "/" $s.persistence.mountPath)) -}}
{{- end }}
{{- toYaml (merge (deepCopy $s.config) $defaults) -}}
{{- end -}}

{{/* "true" when serve's catalog is one SQLite file (the embedded catalog, or type sql): one replica, on a volume. */}}
{{- define "floe.serveSqlite" -}}
{{- $c := .Values.serve.config.catalog -}}
{{- if or (not $c) (eq (toString $c.type) "sql") }}true{{ end -}}
{{- end -}}

{{- define "floe.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
