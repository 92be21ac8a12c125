import { MAX_JSON_DEPTH, exceedsJsonDepth } from './json-depth';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('exceedsJsonDepth', () => {
  it.each([
    ['a flat object', '{"model":"m","n":1}', 1, false],
    ['objects at the limit', objects(MAX_JSON_DEPTH), MAX_JSON_DEPTH, false],
    ['objects one past the limit', objects(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH, true],
    ['arrays one past the limit', arrays(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH, true],
    ['arrays and objects mixed', '[{"a":[{"b":[1]}]}]', 5, false],
    ['arrays and objects mixed, one too deep', '[{"a":[{"b":[1]}]}]', 4, true],
    ['depth 20 000', objects(20_000), MAX_JSON_DEPTH, true],
    ['siblings, each shallow', `[${Array.from({ length: 1000 }, () => '{"a":[1]}').join(',')}]`, 3, false],
    ['brackets inside strings', JSON.stringify({ text: '[[[[{{{{'.repeat(100) }), 1, false],
    ['escaped quotes inside strings', JSON.stringify({ text: '"[[[[\\"{{{{' }), 1, false],
    ['a string ending in a backslash', JSON.stringify({ a: 'x\\', b: { c: 1 } }), 2, false],
    ['multi-byte characters around brackets', JSON.stringify({ text: 'é€😀[[', list: ['ü'] }), 2, false],
    ['a scalar', '42', 0, false],
  ])('%s', (_case, json, limit, expected) => {
    expect(exceedsJsonDepth(bytes(json), limit)).toBe(expected);
  });

  it('judges a 10 MB body of shallow messages as within the limit', () => {
    const big = bytes(JSON.stringify({ messages: Array.from({ length: 20_000 }, (_, i) => ({ role: 'user', content: `[{"x": ${i}} ${'y'.repeat(480)}` })) }));
    expect(big.length).toBeGreaterThan(10_000_000);
    expect(exceedsJsonDepth(big)).toBe(false);
  });
});
