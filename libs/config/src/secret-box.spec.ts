import { SecretBox, withoutSecrets } from './secret-box';

describe('SecretBox', () => {
  const box = new SecretBox('sk-salt');

  it('round-trips a secret, with a new IV each time', () => {
    const a = box.seal('sk-upstream-123');
    const b = box.seal('sk-upstream-123');
    expect(a).toMatch(/^sy-enc:v1:[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('sk-upstream-123');
    expect(box.open(a)).toBe('sk-upstream-123');
  });

  it('refuses a value sealed under another salt key, or altered', () => {
    const sealed = box.seal('sk-upstream-123');
    expect(() => new SecretBox('sk-other').open(sealed)).toThrow();
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => box.open(tampered)).toThrow();
  });

  it('seals secret-named params only, leaving os.environ/ references and other fields as they are', () => {
    const sealed = box.sealParams({
      model: 'gpt-4o',
      api_key: 'sk-live',
      api_base: 'http://x',
      aws_secret_access_key: 's3',
      vertex_credentials: 'os.environ/CREDS',
      rpm: 5,
    });
    expect(sealed).toMatchObject({ model: 'gpt-4o', api_base: 'http://x', vertex_credentials: 'os.environ/CREDS', rpm: 5 });
    expect(SecretBox.isSealed(sealed.api_key)).toBe(true);
    expect(SecretBox.isSealed(sealed.aws_secret_access_key)).toBe(true);
    expect(box.sealParams(sealed)).toEqual(sealed);
    expect(box.openParams(sealed)).toEqual({
      model: 'gpt-4o',
      api_key: 'sk-live',
      api_base: 'http://x',
      aws_secret_access_key: 's3',
      vertex_credentials: 'os.environ/CREDS',
      rpm: 5,
    });
  });

  it('withoutSecrets drops secret-named fields in any form', () => {
    expect(withoutSecrets({ model: 'm', api_key: box.seal('x'), api_base: 'http://x', token: 'os.environ/T' })).toEqual({ model: 'm', api_base: 'http://x' });
  });

  it('seals and hides secrets at any depth, and leaves max_tokens alone', () => {
    const params = {
      model: 'm',
      max_tokens: 512,
      extra_headers: { Authorization: 'Bearer sk-inner', 'x-api-key': 'os.environ/X', 'x-trace': 'on' },
      list: [{ client_secret: 's' }],
    };
    const sealed = box.sealParams(params) as typeof params;
    expect(SecretBox.isSealed(sealed.extra_headers.Authorization)).toBe(true);
    expect(SecretBox.isSealed(sealed.list[0].client_secret)).toBe(true);
    expect(sealed.extra_headers['x-api-key']).toBe('os.environ/X');
    expect(JSON.stringify(sealed)).not.toContain('sk-inner');
    expect(box.openParams(sealed)).toEqual(params);
    expect(withoutSecrets(params)).toEqual({ model: 'm', max_tokens: 512, extra_headers: { 'x-trace': 'on' }, list: [{}] });
  });

  it('seals every header value, organization, and an api_base that carries credentials; opens them all', () => {
    const params = {
      model: 'openai/gpt-4o',
      api_base: 'https://u:url-password@10.0.0.5/v1?api-key=url-query-key',
      organization: 'org-secret-1',
      extra_headers: { 'X-Team': 'team-billing', 'X-Count': 3, 'X-Ref': 'os.environ/REF' },
      headers: { 'X-Old': 'old-header' },
    };
    const sealed = box.sealParams(params) as Record<string, any>;
    for (const value of [sealed.api_base, sealed.organization, sealed.extra_headers['X-Team'], sealed.extra_headers['X-Count'], sealed.headers['X-Old']]) {
      expect(SecretBox.isSealed(value)).toBe(true);
    }
    expect(sealed.extra_headers['X-Ref']).toBe('os.environ/REF');
    expect(JSON.stringify(sealed)).not.toMatch(/url-password|url-query-key|org-secret-1|team-billing|old-header/);
    expect(box.openParams(sealed)).toEqual({ ...params, extra_headers: { ...params.extra_headers, 'X-Count': '3' } });
    expect(box.sealParams({ model: 'm', api_base: 'http://10.0.0.5:8000/v1' }).api_base).toBe('http://10.0.0.5:8000/v1');
  });
});
