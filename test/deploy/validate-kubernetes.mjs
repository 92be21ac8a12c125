/**
 * Validates Kubernetes objects against the API schemas in the kubernetes-models packages (core
 * kinds, and KEDA's from @kubernetes-models/keda). Those packages are ES modules only and Jest
 * runs CommonJS here, so kubernetes.e2e-spec.ts runs this with plain node.
 *
 * stdin: a JSON array of objects. stdout: a JSON array, one entry per object: null when valid,
 * else the validation message (an unknown apiVersion/kind is a message too).
 */
import { text } from 'node:stream/consumers';

const PACKAGES = { 'keda.sh': '@kubernetes-models/keda/keda.sh' };

async function modelOf(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const path = group ? `${PACKAGES[group] ?? `kubernetes-models/${group}`}/${version}` : `kubernetes-models/${version}`;
  const module = await import(path);
  if (typeof module[kind] !== 'function') throw new Error(`${apiVersion} has no kind ${kind}`);
  return module[kind];
}

const results = [];
for (const object of JSON.parse(await text(process.stdin))) {
  try {
    const Model = await modelOf(String(object.apiVersion), String(object.kind));
    new Model(object).validate();
    results.push(null);
  } catch (error) {
    results.push(error instanceof Error ? error.message : String(error));
  }
}
process.stdout.write(JSON.stringify(results));
