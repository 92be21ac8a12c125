import { maskHeaders, maskSecret, maskUrl, maskUrlsIn, urlCredentials } from './credential-mask';

describe('maskUrl', () => {
  it.each([
    ['https://user:s3cret@vllm.internal:8000/v1', 'https://****@vllm.internal:8000/v1'],
    ['https://ghp_token123@host/v1', 'https://****@host/v1'],
    ['https://res.openai.azure.com/openai?api-key=abc123&api-version=2024-06-01', 'https://res.openai.azure.com/openai?api-key=****&api-version=2024-06-01'],
    ['https://g.example/v1beta?key=AIzaSy-xyz', 'https://g.example/v1beta?key=****'],
    ['https://blob.example/c?sv=2022&sig=abc%2Fdef&se=2030', 'https://blob.example/c?sv=2022&sig=****&se=2030'],
    ['http://h/v1?access_token=t1&token=t2&x_api_key=t3&Code=t4', 'http://h/v1?access_token=****&token=****&x_api_key=****&Code=****'],
    ['http://h/cb#access_token=t1&state=ok', 'http://h/cb#access_token=****&state=ok'],
    ['http://a:b@h/v1?api%2Dkey=k', 'http://****@h/v1?api%2Dkey=****'],
    ['http://127.0.0.1:11434', 'http://127.0.0.1:11434'],
    ['https://api.openai.com/v1?api-version=1&max_tokens=5', 'https://api.openai.com/v1?api-version=1&max_tokens=5'],
    ['http://h/v1?key=', 'http://h/v1?key='],
  ])('%s → %s', (url, shown) => {
    expect(maskUrl(url)).toBe(shown);
  });

  it('shows anything that is not a URL as ****', () => {
    expect(maskUrl('sy-enc:v1:abcdef')).toBe('****');
    expect(maskUrl('not a url')).toBe('****');
  });
});

describe('maskUrlsIn', () => {
  it('masks every URL in a text and leaves the rest', () => {
    const text = 'could not reach http://u:pw@10.0.0.5:8000/v1?api-key=K1 (tried https://x.example/?token=T2), giving up';
    expect(maskUrlsIn(text)).toBe('could not reach http://****@10.0.0.5:8000/v1?api-key=**** (tried https://x.example/?token=****), giving up');
  });

  it('masks database and Redis URLs too', () => {
    expect(maskUrlsIn('DATABASE_URL=postgresql://llmproxy:dbpassword9090@db:5432/litellm')).toBe('DATABASE_URL=postgresql://****@db:5432/litellm');
    expect(maskUrlsIn('redis://:pw@127.0.0.1:6379/0 down')).toBe('redis://****@127.0.0.1:6379/0 down');
  });
});

describe('urlCredentials', () => {
  it('lists userinfo and credential query values, raw and decoded', () => {
    expect(urlCredentials('https://user:p%40ss@h/v1?api-key=k%2B1&v=2').sort()).toEqual(
      ['k%2B1', 'k+1', 'p%40ss', 'p@ss', 'user', 'user:p%40ss', 'user:p@ss'].sort(),
    );
  });

  it('finds none in a URL without credentials', () => {
    expect(urlCredentials('http://localhost:11434')).toEqual([]);
    expect(urlCredentials('https://api.openai.com/v1?api-version=1')).toEqual([]);
  });
});

describe('maskHeaders / maskSecret', () => {
  it('keeps names and os.environ/ references, masks every other value', () => {
    expect(maskHeaders({ Authorization: 'Bearer sk-x', 'X-Team': 'billing', 'X-Key': 'os.environ/TEAM_KEY', 'X-N': 5 })).toEqual({
      Authorization: '****',
      'X-Team': '****',
      'X-Key': 'os.environ/TEAM_KEY',
      'X-N': '****',
    });
    expect(maskSecret('org-123')).toBe('****');
    expect(maskSecret('os.environ/OPENAI_ORG')).toBe('os.environ/OPENAI_ORG');
  });
});
