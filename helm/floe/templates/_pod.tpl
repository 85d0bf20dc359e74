{{/*
The pod template every floe workload shares (connectors, maintenance, serve).
Takes (dict "root" $ "component" C "workload" W "args" LIST "configMap" NAME "configKey" FILE
"checksum" SHA "port" PORT "w" VALUES): W's own env, envFrom, secretMounts, extraVolumes and
extraVolumeMounts are added to the chart-wide ones; its resources, nodeSelector, tolerations and
affinity replace them. Optional, for a workload's own needs (serve): "extraEnv" (env entries),
"extraPorts" (container ports before metrics), "extraSecretMounts" (as secretMounts) and
"dataVolume" (dict "claimName" PVC "mountPath" DIR: a read-write volume named data).
*/}}
{{- define "floe.podTemplate" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $w := .w -}}
{{- $secretMounts := concat ($v.secretMounts | default list) ($w.secretMounts | default list) (.extraSecretMounts | default list) -}}
metadata:
  labels:
    {{- include "floe.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    floe.io/workload: {{ .workload }}
    {{- with merge (deepCopy ($w.podLabels | default dict)) ($v.podLabels | default dict) }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ .checksum }}
    {{- with merge (deepCopy ($w.podAnnotations | default dict)) ($v.podAnnotations | default dict) }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "floe.serviceAccountName" $root }}
  automountServiceAccountToken: false
  {{- with $v.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
  securityContext:
    {{- toYaml $v.podSecurityContext | nindent 4 }}
  containers:
    - name: floe
      image: {{ include "floe.image" $root }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      args:
        {{- toYaml .args | nindent 8 }}
      env:
        - name: FLOE_METRICS_HOST
          value: 0.0.0.0
        - name: FLOE_LOG_FORMAT
          value: {{ $v.logs.format | default "json" | quote }}
        - name: FLOE_LOG_LEVEL
          value: {{ $v.logs.level | default "info" | quote }}
        - name: HOME
          value: /tmp
        - name: TMPDIR
          value: /tmp
        {{- with .extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with concat ($v.env | default list) ($w.env | default list) }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with concat ($v.envFrom | default list) ($w.envFrom | default list) }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      ports:
        {{- with .extraPorts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        - name: metrics
          containerPort: {{ .port }}
          protocol: TCP
      startupProbe:
        httpGet: { path: /healthz, port: metrics }
        {{- toYaml $v.probes.startup | nindent 8 }}
      livenessProbe:
        httpGet: { path: /healthz, port: metrics }
        {{- toYaml $v.probes.liveness | nindent 8 }}
      readinessProbe:
        httpGet: { path: /readyz, port: metrics }
        {{- toYaml $v.probes.readiness | nindent 8 }}
      resources:
        {{- toYaml (default $v.resources $w.resources) | nindent 8 }}
      securityContext:
        {{- toYaml $v.securityContext | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/floe
          readOnly: true
        - name: tmp
          mountPath: /tmp
        {{- with .dataVolume }}
        - name: data
          mountPath: {{ .mountPath }}
        {{- end }}
        {{- range $secretMounts }}
        - name: secret-{{ .name }}
          mountPath: {{ .mountPath | default (printf "/var/run/secrets/floe/%s" .name) }}
          readOnly: true
        {{- end }}
        {{- with concat ($v.extraVolumeMounts | default list) ($w.extraVolumeMounts | default list) }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ .configMap }}
        items:
          - key: {{ .configKey }}
            path: {{ .configKey }}
    - name: tmp
      emptyDir:
        {{- with $v.tmpVolume.sizeLimit }}
        sizeLimit: {{ . }}
        {{- end }}
    {{- with .dataVolume }}
    - name: data
      persistentVolumeClaim:
        claimName: {{ .claimName }}
    {{- end }}
    {{- range $secretMounts }}
    - name: secret-{{ .name }}
      secret:
        secretName: {{ .secretName }}
        defaultMode: 288 # 0o440: owner and group (fsGroup) read; decimal, as YAML readers disagree on 0440
        {{- if hasKey . "optional" }}
        optional: {{ .optional }}
        {{- end }}
        {{- with .items }}
        items:
          {{- toYaml . | nindent 10 }}
        {{- end }}
    {{- end }}
    {{- with concat ($v.extraVolumes | default list) ($w.extraVolumes | default list) }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with default $v.nodeSelector $w.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with default $v.tolerations $w.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with default $v.affinity $w.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
