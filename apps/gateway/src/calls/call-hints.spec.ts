import { SwitchyardError } from '@app/contracts';
import { callHintsFrom, withMetadataTags } from './call-hints';

const refused = (headers: Record<string, string | string[]>) => {
  try {
    callHintsFrom(headers);
  } catch (err) {
    return err as SwitchyardError;
  }
  throw new Error('accepted');
};

describe('callHintsFrom (LiteLLM request headers)', () => {
  it('takes none: no hints, no tags', () => {
    expect(callHintsFrom({})).toEqual({ tags: [] });
  });

  it('reads the timeout in seconds, retries, and tags trimmed and deduplicated', () => {
    expect(callHintsFrom({ 'x-litellm-timeout': '2.5', 'x-litellm-num-retries': '0', 'x-litellm-tags': ' a , b,,a, team x ' })).toEqual({
      timeoutMs: 2500,
      numRetries: 0,
      tags: ['a', 'b', 'team x'],
    });
  });

  it.each([
    ['x-litellm-timeout', 'soon'],
    ['x-litellm-timeout', '0'],
    ['x-litellm-timeout', '1e3'],
    ['x-litellm-timeout', '86401'],
    ['x-litellm-num-retries', '-1'],
    ['x-litellm-num-retries', '11'],
    ['x-litellm-num-retries', '2.0'],
    ['x-litellm-tags', 'ok,bad\u0007'],
    ['x-litellm-tags', 'x'.repeat(129)],
    ['x-litellm-tags', Array.from({ length: 33 }, (_, i) => `t${i}`).join(',')],
  ])('%s: %j is a 400 naming the header', (header, value) => {
    const error = refused({ [header]: value });
    expect(error).toBeInstanceOf(SwitchyardError);
    expect(error.status).toBe(400);
    expect(error.param).toBe(header);
  });

  it('refuses a header sent twice', () => {
    expect(refused({ 'x-litellm-num-retries': ['1', '2'] }).param).toBe('x-litellm-num-retries');
  });

  it("adds a chat body's metadata.tags (LiteLLM's other way) to the header's, and refuses what is not a tag list", () => {
    expect(withMetadataTags({ tags: ['a'] }, { tags: ['b', 'a'], trace_id: 'x' })).toEqual({ tags: ['a', 'b'] });
    expect(withMetadataTags({ tags: [] }, { other: 1 })).toEqual({ tags: [] });
    expect(withMetadataTags({ tags: [] }, null)).toEqual({ tags: [] });
    for (const bad of [{ tags: 'a' }, { tags: [1] }, { tags: ['a,b'] }]) {
      expect(() => withMetadataTags({ tags: [] }, bad)).toThrow(expect.objectContaining({ status: 400, param: 'metadata.tags' }));
    }
  });
});
