import { type DeploymentSpec, SwitchyardError } from '@app/contracts';
import { DeploymentResolver, storedDeployment } from './deployment-resolver';
import { ModelRegistry } from './model-registry';
import { SecretBox } from './secret-box';

const SALT = 'sk-salt';
const sealed = new SecretBox(SALT).sealParams({ model: 'openai/gpt-4o', api_key: 'sk-upstream', api_base: 'http://10.0.0.5:8000/v1' });
const spec = (fields: Partial<DeploymentSpec> = {}): DeploymentSpec => ({
  id: 'db-1',
  version: 'v1',
  model_name: 'team/gpt',
  litellm_params: sealed,
  model_info: {},
  ...fields,
});
const resolver = (saltKey: string | undefined, env: Record<string, string> = {}) => new DeploymentResolver('openai', new ModelRegistry([]), { env }, saltKey);

function failure(run: () => unknown): SwitchyardError {
  try {
    run();
  } catch (err) {
    if (err instanceof SwitchyardError) return err;
    throw err;
  }
  throw new Error('expected a SwitchyardError');
}

describe('DeploymentResolver (worker side)', () => {
  it("sends a wildcard deployment's call to the upstream model its job names, and no other deployment's", () => {
    const wild = spec({ model_name: 'team/*', litellm_params: { model: 'openai/*', api_key: 'sk-team' } });
    expect(resolver(SALT).resolve('db-1', wild, 'team/gpt-4o', 'gpt-4o').upstreamModel).toBe('gpt-4o');
    expect(failure(() => resolver(SALT).resolve('db-1', wild, 'team/gpt-4o')).code).toBe('internal_error');
    expect(resolver(SALT).resolve('db-1', spec(), 'team/gpt', 'something-else').upstreamModel).toBe('gpt-4o');
  });

  it('opens the sealed key of a stored model with the shared salt key', () => {
    expect(resolver(SALT).resolve('db-1', spec(), 'team/gpt')).toMatchObject({
      id: 'db-1',
      apiKey: 'sk-upstream',
      apiBase: 'http://10.0.0.5:8000/v1',
      upstreamModel: 'gpt-4o',
    });
  });

  it('resolves os.environ/ references of a stored model from the worker environment', () => {
    const envSpec = spec({ litellm_params: { model: 'gpt-4o', api_key: 'os.environ/TEAM_KEY' } });
    expect(resolver(SALT, { TEAM_KEY: 'sk-team' }).resolve('db-1', envSpec, 'team/gpt').apiKey).toBe('sk-team');
    expect(failure(() => resolver(SALT).resolve('db-1', envSpec, 'team/gpt')).message).toContain('environment variable TEAM_KEY is not set');
  });

  it('says which setting to fix when the salt key is missing or different, and never shows the secret', () => {
    const missing = failure(() => resolver(undefined).resolve('db-1', spec(), 'team/gpt'));
    expect(missing).toMatchObject({ status: 503 });
    expect(missing.message).toContain('set SALT_KEY');
    const wrong = failure(() => resolver('sk-other').resolve('db-1', spec(), 'team/gpt'));
    expect(wrong.message).toContain("SALT_KEY differs from the gateway's");
    expect(`${missing.message}${wrong.message}`).not.toContain('sk-upstream');
  });

  it('re-reads a stored model when its version changes', () => {
    const r = resolver(SALT);
    expect(r.resolve('db-1', spec(), 'team/gpt').apiBase).toBe('http://10.0.0.5:8000/v1');
    const moved = spec({ version: 'v2', litellm_params: { ...sealed, api_base: 'http://10.0.0.6:8000/v1' } });
    expect(r.resolve('db-1', moved, 'team/gpt').apiBase).toBe('http://10.0.0.6:8000/v1');
  });

  it('refuses a job for another provider or an id it does not know', () => {
    const ollama = new DeploymentResolver('ollama', new ModelRegistry([]), { env: {} }, SALT);
    expect(failure(() => ollama.resolve('db-1', spec(), 'team/gpt')).message).toContain('not in this worker');
    expect(failure(() => resolver(SALT).resolve('nope', undefined, 'x')).message).toContain('restart the workers');
  });
  it('names the worker that serves a job of the other wire, and the queue it came on', () => {
    const ollama = new DeploymentResolver('ollama', new ModelRegistry([]), { env: {} }, SALT);
    const onItsOwn = spec({ model_info: { queue: 'gpu-x' } });
    expect(failure(() => ollama.resolve('db-1', onItsOwn, 'team/gpt')).message).toBe(
      'deployment db-1 of model "team/gpt" is not in this worker\'s wire (ollama): worker-openai serves it; the WORKER_QUEUES that names chat-gpu-x is on the wrong worker',
    );
  });

  it('opens sealed header values and a sealed api_base, and sends the headers', () => {
    const withHeaders = new SecretBox(SALT).sealParams({
      model: 'gpt-4o',
      api_key: 'sk-upstream',
      api_base: 'http://u:pw@10.0.0.5:8000/v1',
      extra_headers: { 'X-Team': 'team-secret' },
    });
    const d = resolver(SALT).resolve('db-1', spec({ litellm_params: withHeaders }), 'team/gpt');
    expect(d).toMatchObject({ apiBase: 'http://u:pw@10.0.0.5:8000/v1', headers: { 'x-team': 'team-secret' } });
    expect(d.shownParams).toEqual({ api_base: 'http://****@10.0.0.5:8000/v1', extra_headers: { 'X-Team': '****' } });
    expect(
      failure(() =>
        resolver(undefined).resolve(
          'db-1',
          spec({ litellm_params: { model: 'gpt-4o', api_key: 'os.environ/K', extra_headers: withHeaders.extra_headers } }),
          'team/gpt',
        ),
      ).message,
    ).toContain('set SALT_KEY');
  });
});

describe('storedDeployment (gateway side)', () => {
  it('routes a stored model without its secrets', () => {
    const { deployment, problems } = storedDeployment(spec(), { env: {} }, new SecretBox(SALT));
    expect(problems).toEqual([]);
    expect(deployment).toMatchObject({ id: 'db-1', modelName: 'team/gpt', provider: 'openai' });
    expect(deployment!.apiKey).toBeUndefined();
  });

  it('opens only the api_base, to check it and show it masked; header values stay sealed and are shown as ****', () => {
    const params = new SecretBox(SALT).sealParams({
      model: 'hosted_vllm/llama',
      api_base: 'http://u:pw@10.0.0.5:8000/v1',
      extra_headers: { Authorization: 'Bearer sk-h' },
    });
    const { deployment } = storedDeployment(spec({ litellm_params: params }), { env: {} }, new SecretBox(SALT));
    expect(deployment).toMatchObject({
      apiBase: 'http://u:pw@10.0.0.5:8000/v1',
      headers: {},
      shownParams: { api_base: 'http://****@10.0.0.5:8000/v1', extra_headers: { Authorization: '****' } },
    });
    expect(storedDeployment(spec({ litellm_params: params }), { env: {} }, new SecretBox('sk-other')).problems).toEqual([
      { field: 'litellm_params.api_base', message: 'cannot be opened: SALT_KEY differs from the one it was stored with' },
    ]);
  });
});
