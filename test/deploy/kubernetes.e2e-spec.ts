import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { type EnvSource, GatewayConfig, WorkerConfig } from '@app/config';
import { queueName } from '@app/contracts';
import { defaultBackendsOfWire } from '@app/providers';
import { chatJobOptions } from '@app/queue';
import { TEST_REDIS_URL, deleteRedisPrefix, uniquePrefix } from '@test/support';
import { APPS, type AppName, ROOT, WORKER_WIRE, defaultPort, healthPaths, parseAppEnv, readText, startCommand, unreadVariables } from './app-contract';

// Manifests are untyped YAML; the checks below say what they expect of each field.
type K8s = any;

const DIR = 'deploy/kubernetes';
const WORKERS = APPS.filter((app): app is Exclude<AppName, 'gateway'> => app !== 'gateway');

/** A kustomization (or component) and the objects of the files it lists, in order. */
function loadKustomization(dir: string): { kustomization: K8s; files: string[]; objects: K8s[] } {
  const kustomization = parseYaml(readText(`${dir}/kustomization.yaml`));
  const files: string[] = kustomization.resources ?? [];
  const objects = files.flatMap((file) =>
    parseAllDocuments(readText(`${dir}/${file}`)).map((doc) => {
      if (doc.errors.length) throw new Error(`${dir}/${file}: ${doc.errors[0].message}`);
      return doc.toJS();
    }),
  );
  return { kustomization, files, objects: objects.filter(Boolean) };
}

const base = loadKustomization(`${DIR}/base`);
const components = { keda: loadKustomization(`${DIR}/components/keda`), 'hpa-cpu': loadKustomization(`${DIR}/components/hpa-cpu`) };

function find(objects: K8s[], kind: string, name: string): K8s {
  const found = objects.filter((o) => o.kind === kind && o.metadata?.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0];
}

const deployment = (app: AppName) => find(base.objects, 'Deployment', app);
const podSpec = (app: AppName) => deployment(app).spec.template.spec;
function container(app: AppName): K8s {
  const containers = podSpec(app).containers;
  expect(containers).toHaveLength(1);
  return containers[0];
}

/** The environment a container gets: ConfigMaps and Secrets from envFrom, then env, each reference resolved. */
function containerEnv(app: AppName): EnvSource {
  const env: EnvSource = {};
  const configMap = (name: string) => find(base.objects, 'ConfigMap', name).data ?? {};
  const secret = (name: string) => find(base.objects, 'Secret', name).stringData ?? {};
  for (const from of container(app).envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, configMap(from.configMapRef.name));
    else if (from.secretRef) Object.assign(env, secret(from.secretRef.name));
    else throw new Error(`${app}: unsupported envFrom ${JSON.stringify(from)}`);
  }
  for (const entry of container(app).env ?? []) {
    const ref = entry.valueFrom?.secretKeyRef ?? entry.valueFrom?.configMapKeyRef;
    if (entry.value !== undefined) env[entry.name] = String(entry.value);
    else if (ref) {
      const source = entry.valueFrom.secretKeyRef ? secret(ref.name) : configMap(ref.name);
      if (!(ref.key in source)) throw new Error(`${app}: ${entry.name} refers to a missing key ${ref.name}/${ref.key}`);
      env[entry.name] = String(source[ref.key]);
    } else throw new Error(`${app}: unsupported env ${JSON.stringify(entry)}`);
  }
  return env;
}

/** A probe's or Service's port, by number or by the container port's name. */
function containerPort(app: AppName, port: number | string): number {
  if (typeof port === 'number') return port;
  const named = (container(app).ports ?? []).find((p: K8s) => p.name === port);
  if (!named) throw new Error(`${app}: no container port named ${port}`);
  return named.containerPort;
}

function listenPort(app: AppName): number {
  return Number(parseAppEnv(app, containerEnv(app))[app === 'gateway' ? 'PORT' : 'HEALTH_PORT']);
}

/** `250m` → 0.25, `512Mi` → bytes; enough of the Kubernetes quantity syntax for these manifests. */
function quantity(value: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(String(value));
  if (!match) throw new Error(`unsupported quantity ${value}`);
  const unit = { m: 1e-3, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[match[2] as 'm'] ?? 1;
  return Number(match[1]) * unit;
}

/** The app's settings as its pods load them: their environment and the config.yaml mounted for them. */
function loadedConfig(app: AppName) {
  const env = containerEnv(app);
  const configFile = String(parseAppEnv(app, env).CONFIG_FILE);
  const mount = container(app).volumeMounts.find((m: K8s) => m.mountPath === posix.dirname(configFile));
  const volume = podSpec(app).volumes.find((v: K8s) => v.name === mount?.name);
  const text = find(base.objects, 'ConfigMap', volume.configMap.name).data[posix.basename(configFile)];
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-k8s-'));
  try {
    writeFileSync(join(dir, 'config.yaml'), text);
    const local = { ...env, CONFIG_FILE: join(dir, 'config.yaml') };
    return app === 'gateway' ? GatewayConfig.load(local) : WorkerConfig.load(WORKER_WIRE[app], local, { healthPort: 0, concurrency: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  it.each([
    ['base', `${DIR}/base`, base, 'Kustomization'],
    ['components/keda', `${DIR}/components/keda`, components.keda, 'Component'],
    ['components/hpa-cpu', `${DIR}/components/hpa-cpu`, components['hpa-cpu'], 'Component'],
  ])('%s lists every manifest file beside it in its kustomization', (_name, dir, loaded, kind) => {
    expect(loaded.kustomization.kind).toBe(kind);
    const yamlFiles = readdirSync(join(ROOT, dir)).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    expect([...loaded.files].sort()).toEqual(yamlFiles.sort());
  });

  it('is valid against the Kubernetes API schemas, and KEDA’s for the ScaledObjects', () => {
    const objects = [...base.objects, ...components.keda.objects, ...components['hpa-cpu'].objects];
    const output = execFileSync(process.execPath, [join(__dirname, 'validate-kubernetes.mjs')], {
      cwd: ROOT,
      input: JSON.stringify(objects),
      encoding: 'utf8',
    });
    const problems = (JSON.parse(output) as Array<string | null>)
      .map((problem, i) => problem && `${objects[i].kind} ${objects[i].metadata?.name}: ${problem}`)
      .filter(Boolean);
    expect(problems).toEqual([]);
    expect(new Set(objects.map((o) => o.kind))).toEqual(
      new Set(['ConfigMap', 'Secret', 'Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'ScaledObject']),
    );
  });

  it('names each object once per kind, so base and either component combine', () => {
    for (const component of Object.values(components)) {
      const keys = [...base.objects, ...component.objects].map((o) => `${o.kind}/${o.metadata.name}`);
      expect(keys.length).toBe(new Set(keys).size);
    }
  });

  describe.each(APPS)('%s', (app) => {
    it('runs from the project image with node, its V8 flags and the file the build produces, as its start script does', () => {
      const image = String(container(app).image);
      expect(base.kustomization.images.map((i: K8s) => i.name)).toContain(image.split(':')[0]);
      expect(container(app).command).toEqual(startCommand(app));
      expect(container(app).args).toBeUndefined();
    });

    it('is probed on the health paths it serves, at the port it listens on', () => {
      const { liveness, readiness } = healthPaths(app);
      const c = container(app);
      for (const [probe, paths] of [
        ['startupProbe', liveness],
        ['livenessProbe', liveness],
        ['readinessProbe', readiness],
      ] as const) {
        expect(paths).toContain(c[probe]?.httpGet?.path);
        expect(containerPort(app, c[probe].httpGet.port)).toBe(listenPort(app));
      }
      expect(listenPort(app)).toBe(defaultPort(app));
    });

    it('gets only variables it reads, from ConfigMap and Secret keys that exist, and boots with them and the mounted config.yaml', () => {
      const env = containerEnv(app);
      expect(unreadVariables(app, env)).toEqual([]);
      const settings = parseAppEnv(app, env);
      // CONFIG_FILE is a key of a ConfigMap mounted as a folder.
      const configFile = String(settings.CONFIG_FILE);
      const mount = container(app).volumeMounts.find((m: K8s) => m.mountPath === posix.dirname(configFile));
      expect(mount?.readOnly).toBe(true);
      expect(loadedConfig(app).models.deployments().length).toBeGreaterThan(0);
    });

    it('has CPU and memory requests and limits', () => {
      const { requests, limits } = container(app).resources;
      for (const resource of ['cpu', 'memory']) {
        expect(quantity(limits[resource])).toBeGreaterThanOrEqual(quantity(requests[resource]));
      }
      // The bench saw up to ~300 MB resident per process under load.
      expect(quantity(limits.memory)).toBeGreaterThanOrEqual(384 * 1024 ** 2);
    });

    it('is given the time to finish its calls on shutdown: REQUEST_TIMEOUT plus preStop, within a minute', () => {
      const requestTimeout = Number(parseAppEnv(app, containerEnv(app)).REQUEST_TIMEOUT);
      const preStop = container(app).lifecycle?.preStop?.exec?.command ?? [];
      const preStopSeconds = preStop[0] === 'sleep' ? Number(preStop[1]) : 0;
      const grace = podSpec(app).terminationGracePeriodSeconds;
      expect(grace).toBeGreaterThanOrEqual(requestTimeout + preStopSeconds + 10);
      expect(grace).toBeLessThanOrEqual(requestTimeout + 60);
    });

    it('runs as the image’s non-root user (node, uid 1000), without privileges, on a read-only root filesystem', () => {
      expect(/^USER (\S+)/m.exec(readText('Dockerfile'))?.[1]).toBe('node');
      expect(podSpec(app).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(container(app).securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    });

    it('has a PodDisruptionBudget that lets one pod go at a time, even with a single replica', () => {
      const labels = deployment(app).spec.template.metadata.labels;
      const budgets = base.objects.filter((o) => o.kind === 'PodDisruptionBudget' && matches(o.spec.selector.matchLabels, labels));
      expect(budgets).toHaveLength(1);
      expect(budgets[0].spec.minAvailable).toBeUndefined();
      expect(budgets[0].spec.maxUnavailable).toBeGreaterThanOrEqual(1);
    });

    it('leaves its replica count to an autoscaler', () => {
      expect(deployment(app).spec.replicas).toBeUndefined();
    });
  });

  it('exposes the gateway through a Service on port 4000, to its pods’ listening port', () => {
    const service = find(base.objects, 'Service', 'gateway');
    expect(matches(service.spec.selector, deployment('gateway').spec.template.metadata.labels)).toBe(true);
    expect(service.spec.ports).toHaveLength(1);
    expect(service.spec.ports[0].port).toBe(4000);
    expect(containerPort('gateway', service.spec.ports[0].targetPort)).toBe(listenPort('gateway'));
  });

  it('marks every secret value as a placeholder, and holds no URL with real credentials', () => {
    for (const secret of base.objects.filter((o) => o.kind === 'Secret')) {
      expect(secret.data).toBeUndefined();
      for (const [key, value] of Object.entries<string>(secret.stringData)) {
        const url = URL.canParse(value) ? new URL(value) : undefined;
        const harmless = url && !url.username && !url.password;
        if (!harmless) expect(`${key}=${value}`).toContain('CHANGE-ME');
      }
    }
  });

  it('scales the gateway on CPU from 2 pods', () => {
    const hpa = find(base.objects, 'HorizontalPodAutoscaler', 'gateway');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'gateway' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.metrics.map((m: K8s) => m.resource?.name)).toEqual(['cpu']);
  });

  describe('components/hpa-cpu', () => {
    it.each(WORKERS)('scales %s on CPU, keeping at least one pod', (app) => {
      const hpa = find(components['hpa-cpu'].objects, 'HorizontalPodAutoscaler', app);
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: app });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(1);
      expect(hpa.spec.metrics.map((m: K8s) => m.resource?.name)).toEqual(['cpu']);
    });
  });

  describe('components/keda', () => {
    const scaledObject = (app: AppName) => find(components.keda.objects, 'ScaledObject', app);
    /** Each queue the worker's pods consume (its default pool), with its concurrency and its BullMQ lists under the pods' QUEUE_PREFIX. */
    const consumed = (app: Exclude<AppName, 'gateway'>) => {
      const prefix = String(parseAppEnv(app, containerEnv(app)).QUEUE_PREFIX);
      return (loadedConfig(app) as WorkerConfig).queues.map((q) => ({ ...q, wait: `${prefix}:${q.queue}:wait`, active: `${prefix}:${q.queue}:active` }));
    };

    it.each(WORKERS)('scales %s on the wait and active lists of every queue it consumes, as its pods reach Redis', (app) => {
      const so = scaledObject(app);
      expect(so.spec.scaleTargetRef.name).toBe(deployment(app).metadata.name);
      const queues = consumed(app);
      // The default pool: every backend of the worker's wire.
      expect(queues.map((q) => q.queue)).toEqual(defaultBackendsOfWire(WORKER_WIRE[app]).map(queueName));
      expect(so.spec.triggers.map((t: K8s) => t.type)).toEqual(queues.flatMap(() => ['redis', 'redis']));
      expect(so.spec.triggers.map((t: K8s) => t.metadata.listName).sort()).toEqual(queues.flatMap((q) => [q.active, q.wait]).sort());
      const redis = new URL(String(containerEnv(app).REDIS_URL));
      for (const trigger of so.spec.triggers) expect(trigger.metadata.address).toBe(`${redis.hostname}:${redis.port || 6379}`);
    });

    it.each(WORKERS)(
      'keeps at least one %s pod (the gateway refuses calls for a queue nobody consumes), and never targets more running calls per pod than it runs',
      (app) => {
        const so = scaledObject(app);
        expect(so.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
        expect(so.spec.maxReplicaCount).toBeGreaterThanOrEqual(so.spec.minReplicaCount);
        for (const queue of consumed(app)) {
          const active = so.spec.triggers.find((t: K8s) => t.metadata.listName === queue.active);
          expect(Number(active.metadata.listLength)).toBeLessThanOrEqual(queue.concurrency);
        }
      },
    );

    it('names in docs/deploy.md the same Redis keys and targets the ScaledObjects use', () => {
      const docs = readText('docs/deploy.md');
      for (const app of WORKERS) {
        for (const trigger of scaledObject(app).spec.triggers) {
          expect(docs).toMatch(new RegExp(`\\| \`${trigger.metadata.listName}\` \\| LIST \\| [^|]+ \\| ${trigger.metadata.listLength}\\b`));
        }
      }
    });

    describe.each([
      ['the default prefix', (p: string) => p],
      ['a Redis Cluster hash-tag prefix', (p: string) => `{${p}}`],
    ])('with %s, BullMQ (the installed version) keeps the calls where the ScaledObjects look', (_name, shape) => {
      const prefix = shape(uniquePrefix());
      let connection: IORedis;
      beforeAll(() => {
        connection = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
      });
      afterAll(async () => {
        await deleteRedisPrefix(prefix);
        connection.disconnect();
      });

      it.each(WORKERS.flatMap((app) => consumed(app).map((q) => [app, q.queue] as const)))(
        '%s, %s: a queued call is in the wait list, a running one in the active list',
        async (app, queueName) => {
          // The apps accept the prefix (QUEUE_PREFIX allows `{}`), and the manifests' keys carry it over.
          expect(parseAppEnv(app, { QUEUE_PREFIX: prefix }).QUEUE_PREFIX).toBe(prefix);
          const manifestPrefix = String(parseAppEnv(app, containerEnv(app)).QUEUE_PREFIX);
          const [wait, active] = ['wait', 'active'].map((list) =>
            scaledObject(app)
              .spec.triggers.map((t: K8s) => String(t.metadata.listName))
              .find((k: string) => k === `${manifestPrefix}:${queueName}:${list}`)!
              .replace(`${manifestPrefix}:`, `${prefix}:`),
          );
          const queue = new Queue(queueName, { connection, prefix });
          let release!: () => void;
          const released = new Promise<void>((r) => (release = r));
          let worker: Worker | undefined;
          const workerConnection = connection.duplicate();
          try {
            // Added with the options the gateway uses for every call.
            await queue.add('chat', { requestId: 'req-keda' }, chatJobOptions('req-keda'));
            expect(await connection.llen(wait)).toBe(1);
            expect(await connection.zcard(`${prefix}:${queueName}:prioritized`)).toBe(0);

            worker = new Worker(queueName, () => released, { connection: workerConnection, prefix, concurrency: 1 });
            const deadline = Date.now() + 5_000;
            while ((await connection.llen(active)) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
            expect(await connection.llen(active)).toBe(1);
            expect(await connection.llen(wait)).toBe(0);
          } finally {
            release();
            await worker?.close();
            await queue.close();
            await workerConnection.quit();
          }
        },
      );
    });
  });
});
