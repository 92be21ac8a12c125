import { modelInfoView } from './deployment';
import { parseModelConfig } from './model-config.loader';

const ENV = { TEAM_KEY: 'sk-team-key', LITELLM_MASTER_KEY: 'sk-master-key', DATABASE_URL: 'postgresql://u:dbpass@db/x' };
const CONFIG = `model_list:
  - model_name: team
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/TEAM_KEY
      api_base: "https://proxy:proxy-pass@gw.example/v1?api-key=query-secret&api-version=2024"
      foo: os.environ/DATABASE_URL
      client_secret: literal-client-secret
      rpm: 60
      extra_headers: {Authorization: Bearer header-secret, X-Team: team-header}
    model_info:
      id: team-1
      note: os.environ/LITELLM_MASTER_KEY
      docs: "https://u:doc-pass@docs.example/?token=doc-token"
      api_key: info-secret
      input_cost_per_token: 0.000001
`;

describe('modelInfoView', () => {
  // The worker's deployment holds every credential; the view must show none of them.
  const [d] = parseModelConfig(CONFIG, 'config.yaml', { env: ENV, needsSecretsOf: ['openai'] }).deployments;
  const secrets = [
    'sk-team-key',
    'sk-master-key',
    'dbpass',
    'proxy-pass',
    'query-secret',
    'literal-client-secret',
    'header-secret',
    'team-header',
    'doc-pass',
    'doc-token',
    'info-secret',
  ];

  it('shows the master key the settings, masked, and os.environ/ references as written', () => {
    const view = modelInfoView(d, false, 'admin');
    expect(view).toEqual({
      model_name: 'team',
      litellm_params: {
        model: 'openai/gpt-4o',
        api_base: 'https://****@gw.example/v1?api-key=****&api-version=2024',
        foo: 'os.environ/DATABASE_URL',
        rpm: 60,
        extra_headers: { Authorization: '****', 'X-Team': '****' },
      },
      model_info: {
        id: 'team-1',
        note: 'os.environ/LITELLM_MASTER_KEY',
        docs: 'https://****@docs.example/?token=****',
        input_cost_per_token: 0.000001,
        db_model: false,
        provider: 'openai',
        upstream_model: 'gpt-4o',
      },
    });
    for (const secret of secrets) expect(JSON.stringify(view)).not.toContain(secret);
  });

  it('shows a virtual key the model, its id and the non-secret model_info only', () => {
    const view = modelInfoView(d, true, 'key');
    expect(view).toEqual({
      model_name: 'team',
      litellm_params: { model: 'openai/gpt-4o' },
      model_info: {
        id: 'team-1',
        note: 'os.environ/LITELLM_MASTER_KEY',
        docs: 'https://****@docs.example/?token=****',
        input_cost_per_token: 0.000001,
        db_model: true,
        provider: 'openai',
        upstream_model: 'gpt-4o',
      },
    });
    for (const secret of secrets) expect(JSON.stringify(view)).not.toContain(secret);
  });
});
