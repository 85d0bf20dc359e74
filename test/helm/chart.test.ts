// The Helm chart (helm/floe): helm lint, helm template over every values file in helm/floe/ci,
// the rendered objects decoded strictly into the Kubernetes API types (kubecheck), the pod
// properties the chart promises, bad values refused at install, the connector file a pod mounts
// accepted by `floe validate`, and floe serve's ingest file accepted by floe's own parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseMaintenanceConfig } from '../../src/config/maintenance-config.ts';
import { DEFAULT_STOP_TIMEOUT_MS } from '../../src/cli/maintain-worker.ts';
import { DEFAULT_INGEST_METRICS_PORT, DEFAULT_INGEST_PORT, parseIngestConfig } from '../../src/config/ingest-config.ts';
import { CHART, HELM, REPO, helmLint, helmTemplate, kubecheck, requireTools, runTool } from './helm-tools.ts';

requireTools();

const CI_DIR = path.join(CHART, 'ci');
const CI_FILES = fs
  .readdirSync(CI_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => path.join(CI_DIR, f));
const BAD_DIR = path.join(import.meta.dirname, 'bad-values');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-chart-'));

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> };

/** helm template's output for these values files, as objects (asserting it rendered). */
function render(valuesFiles: string[]): { text: string; objects: K8sObject[] } {
  const r = helmTemplate(valuesFiles);
  assert.equal(r.code, 0, `helm template ${valuesFiles.join(' ')}: ${r.stderr}`);
  const objects = parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
  return { text: r.stdout, objects };
}

function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind} ${name} is rendered`);
  return o;
}

function writeValues(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

/** A command's stop bound: the stopTimeoutMs default of `export async function <fn>(...)` in src/cli/<fn>.ts. */
function stopTimeoutMs(fn: 'run' | 'serve'): number {
  const src = fs.readFileSync(path.join(REPO, `src/cli/${fn}.ts`), 'utf8');
  const m = new RegExp(`export async function ${fn}\\([^)]*stopTimeoutMs = ([\\d_]+)`).exec(src);
  assert.ok(m, `src/cli/${fn}.ts: ${fn}(..., stopTimeoutMs = N) holds the stop bound this test compares the grace period with`);
  return Number(m[1].replaceAll('_', ''));
}

test('helm lint --strict passes on the defaults and on every ci values file', () => {
  assert.ok(CI_FILES.length >= 5, 'ci values files exist');
  for (const files of [[], ...CI_FILES.map((f) => [f])]) {
    const r = helmLint(files);
    assert.equal(r.code, 0, `helm lint ${files.join(' ')}:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  }
});

test('every rendering decodes strictly into the Kubernetes API types (kubecheck), with the objects each values file asks for', () => {
  const expected: Record<string, string[]> = {
    'default-values.yaml': ['ConfigMap floe-test-orders', 'Deployment floe-test-orders', 'Service floe-test-orders', 'PodDisruptionBudget floe-test-orders'],
    'maintenance-values.yaml': ['Deployment floe-test-clicks', 'Deployment floe-test-payments', 'Deployment floe-test-maintenance', 'Service floe-test-maintenance', 'ConfigMap floe-test-maintenance'],
    'monitoring-values.yaml': ['ServiceMonitor floe-test', 'ScaledObject floe-test-events', 'PodDisruptionBudget floe-test-events'],
    'serve-values.yaml': ['ConfigMap floe-test-serve', 'Deployment floe-test-serve', 'Service floe-test-serve', 'PodDisruptionBudget floe-test-serve', 'ServiceMonitor floe-test'],
    'serve-embedded-values.yaml': ['Deployment floe-test-orders', 'ConfigMap floe-test-serve', 'Deployment floe-test-serve', 'Service floe-test-serve', 'PersistentVolumeClaim floe-test-serve'],
  };
  for (const files of [[], ...CI_FILES.map((f) => [f])]) {
    const { text } = render(files);
    if (files.length === 0) assert.doesNotMatch(text, /serve/, 'serve is off by default');
    const r = kubecheck(text);
    assert.equal(r.code, 0, `kubecheck on ${files.join(' ') || 'the defaults'}:\n${r.stderr}`);
    const decoded = r.stdout.trim().split('\n');
    assert.ok(decoded.includes('ServiceAccount floe-test'), decoded.join(', '));
    for (const want of expected[path.basename(files[0] ?? '')] ?? []) assert.ok(decoded.includes(want), `${want} in ${decoded.join(', ')}`);
  }
});

test('kubecheck refuses an unknown field, an unknown kind, a duplicate key and a Service that selects no pod', () => {
  const { text } = render([path.join(CI_DIR, 'default-values.yaml')]);
  const cases: [string, string, RegExp][] = [
    ['an unknown field', text.replace('  revisionHistoryLimit: 5\n', '  revisionHistoryLimit: 5\n  replica: 2\n'), /unknown field "spec\.replica"/],
    ['a field in the wrong case', text.replace('  revisionHistoryLimit: 5\n', '  RevisionHistoryLimit: 5\n'), /unknown field "spec\.RevisionHistoryLimit"/],
    ['an unknown kind', `${text}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\n`, /unknown kind "Widget"/],
    ['a duplicate key', text.replace('  revisionHistoryLimit: 5\n', '  revisionHistoryLimit: 5\n  revisionHistoryLimit: 6\n'), /already set in map/],
    ['a Service selecting nothing', text.replace(/(kind: Service\n[\s\S]*?floe\.io\/workload: )orders(\n {2}ports:)/, '$1nothing$2'), /Service floe-test-orders .*selects no rendered pod template/],
  ];
  for (const [what, manifests, message] of cases) {
    assert.notEqual(manifests, text, `${what}: the manifests were changed`);
    const r = kubecheck(manifests);
    assert.equal(r.code, 1, `${what} is refused`);
    assert.match(r.stderr, message, what);
  }
});

test('bad values fail at install (schema or template), naming the problem', () => {
  const cases: Record<string, RegExp> = {
    'unknown-key.yaml': /\/connectors\/orders.*additional properties 'replica' not allowed/,
    'short-grace.yaml': /\/terminationGracePeriodSeconds.*minimum/,
    'no-brokers.yaml': /\/connectors\/orders\/config\/kafka.*missing property 'brokers'/,
    'bad-connector-name.yaml': /Orders_1/,
    'autoscaling-no-partitions.yaml': /\/connectors\/orders\/autoscaling.*missing property 'partitions'/,
    'autoscaling-above-partitions.yaml': /maxReplicas \(8\) is more than autoscaling\.partitions \(6\)/,
    'maintenance-no-tables.yaml': /\/maintenance\/config.*missing property 'tables'/,
    'serve-replicas-sql.yaml': /serve\.replicas \(2\): the embedded or a sql catalog is one SQLite file on one volume/,
    'serve-embedded-no-volume.yaml': /serve: the embedded or a sql catalog keeps its catalog in a file, which needs a volume: set serve\.persistence\.enabled/,
    'serve-unknown-key.yaml': /\/serve\/config.*additional properties 'metricPort' not allowed/,
    'logs-format.yaml': /\/logs\/format.*(must be one of|value must be one of)/,
  };
  assert.deepEqual(fs.readdirSync(BAD_DIR).sort(), Object.keys(cases).sort(), 'every bad values file has its expected message');
  for (const [file, message] of Object.entries(cases)) {
    const r = helmTemplate([path.join(BAD_DIR, file)]);
    assert.notEqual(r.code, 0, `${file} must fail`);
    assert.match(r.stderr, message, file);
  }
});

test('pods: non-root, read-only root filesystem, no privilege escalation, all capabilities dropped, probes on /healthz and /readyz, grace period above the stop bound', () => {
  const stopSeconds = Math.max(stopTimeoutMs('run'), DEFAULT_STOP_TIMEOUT_MS, stopTimeoutMs('serve')) / 1000;
  let serves = 0;
  let pods = 0;
  for (const file of CI_FILES) {
    for (const dep of ofKind(render([file]).objects, 'Deployment')) {
      const where = `${path.basename(file)}: ${dep.metadata.name}`;
      const pod = dep.spec.template.spec;
      pods++;
      assert.ok(pod.terminationGracePeriodSeconds > stopSeconds, `${where}: grace ${pod.terminationGracePeriodSeconds} s > stop bound ${stopSeconds} s`);
      assert.equal(pod.securityContext.runAsNonRoot, true, where);
      assert.ok(pod.securityContext.runAsUser > 0, where);
      assert.equal(pod.automountServiceAccountToken, false, where);
      assert.equal(pod.containers.length, 1, where);
      const c = pod.containers[0];
      assert.deepEqual(
        {
          runAsNonRoot: c.securityContext.runAsNonRoot,
          readOnlyRootFilesystem: c.securityContext.readOnlyRootFilesystem,
          allowPrivilegeEscalation: c.securityContext.allowPrivilegeEscalation,
          drop: c.securityContext.capabilities.drop,
        },
        { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, drop: ['ALL'] },
        where,
      );
      const isServe = c.args[0] === 'serve';
      if (isServe) serves++;
      // serve: the append API's port first (https with TLS), then metrics
      const scheme = pod.volumes.some((v: any) => v.secret?.secretName === 'floe-serve-tls') ? 'https' : 'http';
      assert.deepEqual(c.ports.map((p: any) => p.name), isServe ? [scheme, 'metrics'] : ['metrics'], where);
      assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'metrics' }, where);
      assert.deepEqual(c.startupProbe.httpGet, { path: '/healthz', port: 'metrics' }, where);
      assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'metrics' }, where);
      const env = Object.fromEntries(c.env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
      assert.equal(env.FLOE_METRICS_HOST, '0.0.0.0', `${where}: the server listens beyond the pod's loopback`);
      assert.equal(env.FLOE_LOG_FORMAT, 'json', `${where}: JSON log lines by default in a pod`);
      if (isServe) assert.equal(env.FLOE_SERVE_HOST, '0.0.0.0', `${where}: the append API listens beyond the pod's loopback`);
      // the only writable place: /tmp, an emptyDir, where HOME and TMPDIR point
      assert.equal(env.TMPDIR, '/tmp', where);
      assert.equal(env.HOME, '/tmp', where);
      const tmpMount = c.volumeMounts.find((m: any) => m.mountPath === '/tmp');
      assert.ok(tmpMount && pod.volumes.find((v: any) => v.name === tmpMount.name)?.emptyDir, `${where}: /tmp is an emptyDir`);
      // and serve's volume for its SQLite catalog (a PersistentVolumeClaim)
      const claims = new Set(pod.volumes.filter((v: any) => v.persistentVolumeClaim).map((v: any) => v.name));
      if (!isServe) assert.equal(claims.size, 0, `${where}: no volume of its own`);
      assert.ok(
        c.volumeMounts.filter((m: any) => m.mountPath !== '/tmp' && !claims.has(m.name)).every((m: any) => m.readOnly === true),
        `${where}: every other mount is read-only`,
      );
      assert.match(dep.spec.template.metadata.annotations['checksum/config'], /^[0-9a-f]{64}$/, where);
    }
  }
  assert.ok(pods >= 8 && serves >= 2, `checked ${pods} pod templates, ${serves} of floe serve`);
});

test('the config checksum annotation changes with a connector file, and only for that connector', () => {
  const base = path.join(CI_DIR, 'maintenance-values.yaml');
  const checksums = (files: string[]) =>
    Object.fromEntries(ofKind(render(files).objects, 'Deployment').map((d) => [d.metadata.name, d.spec.template.metadata.annotations['checksum/config']]));
  const before = checksums([base]);
  const changed = checksums([base, writeValues('interval.yaml', 'connectors:\n  payments:\n    config:\n      commit: { intervalMs: 5000 }\n')]);
  assert.notEqual(changed['floe-test-payments'], before['floe-test-payments'], 'payments rolls');
  assert.equal(changed['floe-test-clicks'], before['floe-test-clicks'], 'clicks stays');
  assert.equal(changed['floe-test-maintenance'], before['floe-test-maintenance'], 'maintenance stays');
  const maint = checksums([base, writeValues('every.yaml', 'maintenance:\n  config:\n    metricsPort: 9470\n')]);
  assert.notEqual(maint['floe-test-maintenance'], before['floe-test-maintenance'], 'maintenance rolls with its file');
  // the checksum is the file's: sha256 of the ConfigMap's content
  const { objects } = render([base]);
  const cm = find(objects, 'ConfigMap', 'floe-test-payments');
  const sha = (s: string) => spawnSync('sha256sum', { input: s, encoding: 'utf8' }).stdout.split(' ')[0];
  assert.equal(sha(cm.data!['connector.yaml'].replace(/\n$/, '')), before['floe-test-payments']);
});

test('the file each pod mounts is what floe accepts: floe validate on every connector file, the maintenance and ingest parsers on the maintenance and ingest files', () => {
  let connectors = 0;
  let maintenance = 0;
  let serves = 0;
  for (const file of CI_FILES) {
    const { objects } = render([file]);
    for (const dep of ofKind(objects, 'Deployment')) {
      const where = `${path.basename(file)}: ${dep.metadata.name}`;
      const pod = dep.spec.template.spec;
      const c = pod.containers[0];
      const configVolume = pod.volumes.find((v: any) => v.configMap);
      const mount = c.volumeMounts.find((m: any) => m.name === configVolume.name);
      const key = configVolume.configMap.items[0].key;
      assert.equal(c.args.at(-1), path.posix.join(mount.mountPath, key), `${where}: the command reads the mounted file`);
      const text = find(objects, 'ConfigMap', configVolume.configMap.name).data![key];
      // the pod's environment: literal values as given, Secret references as stand-ins
      const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
      for (const e of c.env) env[e.name] = 'value' in e ? e.value : `from-${e.valueFrom.secretKeyRef?.name ?? 'ref'}`;
      const dir = fs.mkdtempSync(path.join(tmp, 'pod-'));
      const local = path.join(dir, key);
      fs.writeFileSync(local, text);
      const port = c.ports.find((p: any) => p.name === 'metrics').containerPort;
      if (c.args[0] === 'run') {
        connectors++;
        const r = spawnSync(process.execPath, [path.join(REPO, 'bin/floe.ts'), 'validate', '-c', local], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
        assert.equal(r.status, 0, `${where}: floe validate:\n${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /: ok\n/, where);
        const parsed = parseAllDocuments(text)[0].toJS();
        assert.equal(parsed.metricsPort, port, `${where}: the container port is the file's metricsPort`);
        assert.equal(parsed.name, dep.metadata.name.replace(/^floe-test-/, ''), `${where}: name defaults to the connector's key`);
      } else if (c.args[0] === 'serve') {
        serves++;
        assert.deepEqual(c.args, ['serve', '-c', '/etc/floe/ingest.yaml'], where);
        // files the ingest file names lie in the pod's Secret volumes (tokenFile, tls) or its
        // data volume (warehouse); a Secret's file is a stand-in here, under a local folder
        const secretMounts = c.volumeMounts.filter((m: any) => pod.volumes.find((v: any) => v.name === m.name).secret);
        let localText = text;
        for (const m of secretMounts) {
          const volume = pod.volumes.find((v: any) => v.name === m.name);
          const stand = path.join(dir, m.name);
          fs.mkdirSync(stand);
          for (const item of volume.secret.items ?? []) fs.writeFileSync(path.join(stand, item.path), `stand-in-for-${volume.secret.secretName}-${item.key}\n`);
          localText = localText.replaceAll(`${m.mountPath}/`, `${stand}/`);
        }
        fs.writeFileSync(local, localText);
        const cfg = parseIngestConfig(localText, local, env);
        const appPort = c.ports.find((p: any) => p.name !== 'metrics');
        assert.equal(cfg.port, appPort.containerPort, `${where}: the container's ${appPort.name} port is the file's port`);
        assert.equal(cfg.metricsPort, port, `${where}: the container's metrics port is the file's metricsPort`);
        assert.equal(cfg.host, '0.0.0.0', `${where}: FLOE_SERVE_HOST reaches floe serve`);
        assert.equal(cfg.metricsHost, '0.0.0.0', `${where}: FLOE_METRICS_HOST reaches floe serve`);
        assert.equal(appPort.name, cfg.tls ? 'https' : 'http', where);
        if (cfg.tls) {
          for (const f of [cfg.tls.cert, cfg.tls.key]) assert.ok(fs.existsSync(f), `${where}: ${f} is a file of a mounted Secret`);
        }
        if (!cfg.catalog) {
          const data = c.volumeMounts.find((m: any) => m.name === 'data');
          assert.ok(data && cfg.warehouse.startsWith(`${data.mountPath}/`), `${where}: the embedded catalog's warehouse ${cfg.warehouse} is on the data volume`);
        }
      } else {
        maintenance++;
        assert.deepEqual(c.args.slice(0, 2), ['maintain', '-c']);
        const cfg = parseMaintenanceConfig(text, local, env);
        assert.equal(cfg.metricsPort, port, `${where}: the container port is the file's metricsPort`);
        assert.equal(cfg.metricsHost, '0.0.0.0', `${where}: FLOE_METRICS_HOST reaches the maintenance worker`);
      }
    }
  }
  assert.ok(connectors >= 5 && maintenance >= 1 && serves >= 2, `validated ${connectors} connector files, ${maintenance} maintenance file(s), ${serves} ingest file(s)`);
});

test('autoscaling: a KEDA ScaledObject on the connector group’s lag, bounded by the partition count; the Deployment leaves replicas to it', () => {
  const { objects } = render([path.join(CI_DIR, 'monitoring-values.yaml')]);
  const so = find(objects, 'ScaledObject', 'floe-test-events');
  const dep = find(objects, 'Deployment', 'floe-test-events');
  assert.equal(dep.spec.replicas, undefined, 'no replicas: KEDA sets them');
  assert.deepEqual(so.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'floe-test-events' });
  assert.equal(so.spec.minReplicaCount, 2);
  assert.equal(so.spec.maxReplicaCount, 8);
  const [trigger] = so.spec.triggers;
  assert.equal(trigger.type, 'kafka');
  assert.deepEqual(trigger.metadata, {
    bootstrapServers: 'kafka:9092',
    consumerGroup: 'floe-events',
    topic: 'events',
    lagThreshold: '50000',
    offsetResetPolicy: 'earliest',
    allowIdleConsumers: 'false',
  });
  assert.deepEqual(trigger.authenticationRef, { name: 'kafka-sasl' });
  // maxReplicas defaults to the partition count
  const values = writeValues(
    'auto.yaml',
    'connectors:\n  t:\n    config: { kafka: { brokers: ["k:9092"] }, format: json, catalog: { type: rest, uri: "http://c" }, topics: [a, b], table: { name: n.t } }\n    autoscaling: { enabled: true, partitions: 6 }\n',
  );
  const auto = find(render([values]).objects, 'ScaledObject', 'floe-test-t');
  assert.equal(auto.spec.maxReplicaCount, 6);
  assert.equal(auto.spec.minReplicaCount, 1);
  assert.equal(auto.spec.triggers[0].metadata.consumerGroup, 'floe-t', "the group floe-<name>, floe's default");
  assert.equal(auto.spec.triggers[0].metadata.topic, undefined, 'two topics: the whole group');
});

test('PodDisruptionBudget, ServiceMonitor and Services: per connector, selecting its pods, scraping /metrics', () => {
  const mon = render([path.join(CI_DIR, 'monitoring-values.yaml')]).objects;
  assert.deepEqual(find(mon, 'PodDisruptionBudget', 'floe-test-events').spec.minAvailable, 1);
  const sm = find(mon, 'ServiceMonitor', 'floe-test');
  assert.equal(sm.metadata.labels!.release, 'prometheus');
  assert.deepEqual(sm.spec.endpoints, [{ port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '10s' }]);
  const svc = find(mon, 'Service', 'floe-test-events');
  for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) assert.equal(svc.metadata.labels![k], v, `the ServiceMonitor selects the Service by ${k}`);
  const def = render([path.join(CI_DIR, 'default-values.yaml')]).objects;
  assert.deepEqual(find(def, 'PodDisruptionBudget', 'floe-test-orders').spec.maxUnavailable, 1);
  assert.equal(ofKind(def, 'ServiceMonitor').length, 0, 'no ServiceMonitor unless asked');
  assert.equal(ofKind(def, 'ScaledObject').length, 0, 'no ScaledObject unless asked');
  assert.equal(find(def, 'Deployment', 'floe-test-orders').spec.replicas, 2);
});

test('serve: Deployment, Service (80 or the TLS port to the append API, and metrics), PDB, ServiceMonitor; one replica on a volume with a SQLite catalog, any number with REST', () => {
  // REST catalog: three replicas rolled one by one, no volume, HTTPS from the TLS Secret
  const rest = render([path.join(CI_DIR, 'serve-values.yaml')]).objects;
  const dep = find(rest, 'Deployment', 'floe-test-serve');
  assert.equal(dep.spec.replicas, 3);
  assert.equal(dep.spec.strategy, undefined, 'RollingUpdate (the default) with a REST catalog');
  const pod = dep.spec.template.spec;
  assert.equal(pod.volumes.filter((v: any) => v.persistentVolumeClaim).length, 0);
  assert.deepEqual(pod.volumes.find((v: any) => v.secret?.secretName === 'floe-serve-tls').secret.items, [
    { key: 'tls.crt', path: 'tls.crt' },
    { key: 'tls.key', path: 'tls.key' },
  ]);
  assert.deepEqual(pod.containers[0].ports, [
    { name: 'https', containerPort: DEFAULT_INGEST_PORT, protocol: 'TCP' },
    { name: 'metrics', containerPort: DEFAULT_INGEST_METRICS_PORT, protocol: 'TCP' },
  ]);
  const tlsFile = parseAllDocuments(find(rest, 'ConfigMap', 'floe-test-serve').data!['ingest.yaml'])[0].toJS();
  assert.deepEqual(tlsFile.tls, { cert: '/var/run/secrets/floe/tls/tls.crt', key: '/var/run/secrets/floe/tls/tls.key' });
  assert.equal(tlsFile.auth.tokens[0].token, '${APP_TOKEN}', 'the token stays a reference: no secret in the ConfigMap');
  const svc = find(rest, 'Service', 'floe-test-serve');
  assert.deepEqual(svc.spec.ports, [
    { name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' },
    { name: 'metrics', port: DEFAULT_INGEST_METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' },
  ]);
  assert.equal(svc.spec.publishNotReadyAddresses, undefined, 'a stopping or starting pod gets no appends');
  for (const [k, v] of Object.entries(find(rest, 'ServiceMonitor', 'floe-test').spec.selector.matchLabels)) assert.equal(svc.metadata.labels![k], v, `the ServiceMonitor selects serve's Service by ${k}`);
  assert.equal(find(rest, 'PodDisruptionBudget', 'floe-test-serve').spec.minAvailable, 2);
  assert.equal(ofKind(rest, 'PersistentVolumeClaim').length, 0);

  // the embedded catalog: one replica on the chart's claim (kept on uninstall), replaced by Recreate
  const embedded = render([path.join(CI_DIR, 'serve-embedded-values.yaml')]).objects;
  const one = find(embedded, 'Deployment', 'floe-test-serve');
  assert.equal(one.spec.replicas, 1);
  assert.deepEqual(one.spec.strategy, { type: 'Recreate' });
  assert.deepEqual(one.spec.template.spec.volumes.find((v: any) => v.name === 'data'), { name: 'data', persistentVolumeClaim: { claimName: 'floe-test-serve' } });
  const pvc = find(embedded, 'PersistentVolumeClaim', 'floe-test-serve');
  assert.equal(pvc.metadata.annotations!['helm.sh/resource-policy'], 'keep');
  assert.deepEqual(pvc.spec, { accessModes: ['ReadWriteOnce'], storageClassName: 'fast-ssd', resources: { requests: { storage: '20Gi' } } });
  assert.deepEqual(find(embedded, 'Service', 'floe-test-serve').spec.ports[0], { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' });
  assert.equal(find(embedded, 'PodDisruptionBudget', 'floe-test-serve').spec.maxUnavailable, 1, "the chart's budget");

  // an existing claim: no PVC rendered, the Deployment mounts it
  const existing = render([path.join(CI_DIR, 'serve-embedded-values.yaml'), writeValues('claim.yaml', 'serve:\n  persistence: { existingClaim: floe-data, mountPath: /data }\n')]).objects;
  assert.equal(ofKind(existing, 'PersistentVolumeClaim').length, 0);
  assert.equal(find(existing, 'Deployment', 'floe-test-serve').spec.template.spec.volumes.find((v: any) => v.name === 'data').persistentVolumeClaim.claimName, 'floe-data');
  assert.match(find(existing, 'ConfigMap', 'floe-test-serve').data!['ingest.yaml'], /^warehouse: \/data\/warehouse$/m);

  // refused: more than one replica with the embedded catalog, or with any catalog on the volume
  const two = helmTemplate([path.join(CI_DIR, 'serve-embedded-values.yaml'), writeValues('two.yaml', 'serve:\n  replicas: 2\n')]);
  assert.notEqual(two.code, 0);
  assert.match(two.stderr, /serve\.replicas \(2\): the embedded or a sql catalog is one SQLite file/);
  const restVolume = helmTemplate([path.join(CI_DIR, 'serve-values.yaml'), writeValues('rest-volume.yaml', 'serve:\n  persistence: { enabled: true }\n')]);
  assert.notEqual(restVolume.code, 0);
  assert.match(restVolume.stderr, /serve\.replicas \(3\) with serve\.persistence: the volume is ReadWriteOnce/);
  // the pod's ports are fixed: no 0 or auto
  const auto = helmTemplate([path.join(CI_DIR, 'serve-values.yaml'), writeValues('auto-port.yaml', 'serve:\n  config: { port: auto }\n')]);
  assert.notEqual(auto.code, 0);
  assert.match(auto.stderr, /\/serve\/config\/port/);

  // the checksum follows the ingest file, and only serve rolls
  const checksums = (files: string[]) =>
    Object.fromEntries(ofKind(render(files).objects, 'Deployment').map((d) => [d.metadata.name, d.spec.template.metadata.annotations['checksum/config']]));
  const before = checksums([path.join(CI_DIR, 'serve-embedded-values.yaml')]);
  const after = checksums([path.join(CI_DIR, 'serve-embedded-values.yaml'), writeValues('serve-commit.yaml', 'serve:\n  config:\n    commit: { intervalMs: 250 }\n')]);
  assert.notEqual(after['floe-test-serve'], before['floe-test-serve'], 'serve rolls');
  assert.equal(after['floe-test-orders'], before['floe-test-orders'], 'the connector stays');
});

test('secrets by reference only: secretMounts become read-only Secret volumes under /var/run/secrets/floe/<name>', () => {
  const { objects, text } = render([path.join(CI_DIR, 'maintenance-values.yaml')]);
  const pod = find(objects, 'Deployment', 'floe-test-payments').spec.template.spec;
  const volume = pod.volumes.find((v: any) => v.secret);
  assert.deepEqual(volume, { name: 'secret-registry', secret: { secretName: 'floe-registry', defaultMode: 0o440 } });
  assert.deepEqual(
    pod.containers[0].volumeMounts.find((m: any) => m.name === 'secret-registry'),
    { name: 'secret-registry', mountPath: '/var/run/secrets/floe/registry', readOnly: true },
  );
  // clicks has no secretMounts of its own and none chart-wide
  assert.equal(find(objects, 'Deployment', 'floe-test-clicks').spec.template.spec.volumes.filter((v: any) => v.secret).length, 0);
  assert.equal(ofKind(objects, 'Secret').length, 0, 'the chart renders no Secret');
  assert.doesNotMatch(text, /kind: Secret\n/);
});

test('NOTES.txt renders: each connector with its Deployment and workers, floe serve, the maintenance worker, or a hint when none is configured', () => {
  // helm template leaves NOTES.txt out: a copy of the chart renders it into a ConfigMap
  const copy = path.join(tmp, 'notes-chart');
  fs.cpSync(CHART, copy, { recursive: true });
  fs.copyFileSync(path.join(copy, 'templates/NOTES.txt'), path.join(copy, 'notes.txt'));
  fs.writeFileSync(path.join(copy, 'templates/notes-check.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: notes }\ndata:\n  notes: {{ tpl (.Files.Get "notes.txt") . | quote }}\n');
  const notes = (values: string[]) => {
    const r = runTool(HELM, ['template', 'floe-test', copy, '--namespace', 'streams', '--show-only', 'templates/notes-check.yaml', ...values.flatMap((f) => ['-f', f])]);
    assert.equal(r.code, 0, r.stderr);
    return parseAllDocuments(r.stdout)[0].toJS().data.notes as string;
  };
  const text = notes([path.join(CI_DIR, 'maintenance-values.yaml')]);
  assert.match(text, /Connector clicks: Deployment floe-test-clicks \(1 worker\(s\) in one consumer group\)/);
  assert.match(text, /Connector payments: Deployment floe-test-payments \(3 worker\(s\)/);
  assert.match(text, /port-forward svc\/floe-test-clicks 9464:9500/);
  assert.match(text, /Maintenance worker: Deployment floe-test-maintenance/);
  assert.match(notes([path.join(CI_DIR, 'monitoring-values.yaml')]), /Connector events: Deployment floe-test-events \(replicas by KEDA on consumer lag\)/);
  assert.match(notes([]), /No connector is configured/);
  const serve = notes([path.join(CI_DIR, 'serve-values.yaml')]);
  assert.match(serve, /Append API \(floe serve\): Deployment floe-test-serve, 3 replica\(s\)\n/);
  assert.match(serve, /https:\/\/floe-test-serve\.streams\.svc\/v1\/tables\/<namespace>\.<table>\/append/);
  assert.match(serve, /curl -k -H 'Authorization: Bearer <token>' -d/);
  assert.doesNotMatch(serve, /No connector is configured|No bearer token/);
  const embedded = notes([path.join(CI_DIR, 'serve-embedded-values.yaml')]);
  assert.match(embedded, /1 replica\(s\) \(one only: the embedded catalog is one SQLite file on the volume\)/);
  assert.match(embedded, /http:\/\/floe-test-serve\.streams\.svc\/v1/);
  assert.match(embedded, /No bearer token is configured/);
});
