import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELLO, type Stack, call, fakeEnv, parseMetrics, startFakes, startStack, tutorialConfig } from '@test/support';

const DASHBOARD = join(__dirname, '../../deploy/grafana/switchyard-dashboard.json');

interface Target {
  expr: string;
}
interface Panel {
  type: string;
  title: string;
  targets?: Target[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Array<{ name: string; query?: string | { query: string } }> };
}

/** Labels Prometheus adds to every series it scrapes, and the bucket bound of histograms. */
const ADDED_LABELS = new Set(['job', 'instance', 'le']);
/** PromQL's own words that may stand where a metric name could. */
const PROMQL_WORDS = /^(sum|max|min|avg|count|rate|increase|histogram_quantile|by|without|on|ignoring|label_values|and|or|unless)$/;

/** What one app's /metrics declares: metric names (with a histogram's series names) and the labels seen on each. */
async function exported(url: string): Promise<Map<string, Set<string>>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const metrics = new Map<string, Set<string>>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const series = type === 'histogram' ? ['_bucket', '_sum', '_count'].map((suffix) => name + suffix) : [name];
    for (const s of series) metrics.set(s, new Set());
  }
  for (const sample of parseMetrics(text)) for (const label of Object.keys(sample.labels)) metrics.get(sample.name)?.add(label);
  return metrics;
}

/** The metric names an expression reads, each with the labels the expression selects or groups it by. */
function references(expr: string): Array<{ metric: string; labels: string[] }> {
  const found: Array<{ metric: string; labels: string[] }> = [];
  const groupings = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1].split(',').map((l) => l.trim()));
  for (const m of expr.matchAll(/\b([a-z_][a-z0-9_]*_[a-z0-9_]+)\s*(\{([^}]*)\})?/g)) {
    if (PROMQL_WORDS.test(m[1]) || m[1].startsWith('__')) continue;
    const selected = [...(m[3] ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)/g)].map((l) => l[1]);
    found.push({ metric: m[1], labels: [...selected, ...groupings] });
  }
  return found;
}

/**
 * deploy/grafana/switchyard-dashboard.json against the metrics the apps really export: a panel
 * that names a metric or a label no app has would show "No data" forever, and nobody would know
 * whether the system is idle or the dashboard is wrong.
 */
describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  const expressions = [
    ...panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    ...dashboard.templating.list.map((v) => (typeof v.query === 'string' ? v.query : v.query?.query)).filter((q): q is string => !!q && q !== 'prometheus'),
  ];
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let metrics: Map<string, Set<string>>;

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: fakeEnv(fakes.openai) });
    // One call through each worker, streamed and not, so that labelled series exist to read labels from.
    for (const model of ['openai/gpt-4o-mini', 'ollama/gpt-oss:20b'])
      for (const stream of [false, true]) expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model, stream } })).status).toBe(200);
    // And a retried upstream failure and an upstream 429, for the retry and rate-limit series.
    fakes.openai.failNext(1, 500);
    expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'openai/gpt-4o-mini' } })).status).toBe(200);
    fakes.openai.failNext(1, 429, 'slow down', { 'retry-after-ms': '50' });
    expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'openai/gpt-4o-mini' } })).status).toBe(200);
    metrics = new Map();
    for (const url of [stack.url, ...stack.workerUrls.values()])
      for (const [name, labels] of await exported(url)) metrics.set(name, new Set([...(metrics.get(name) ?? []), ...labels]));
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });

  it('has panels, each with a query', () => {
    expect(panels.length).toBeGreaterThanOrEqual(10);
    expect(panels.filter((p) => !p.targets?.length).map((p) => p.title)).toEqual([]);
  });

  it('reads only metrics that the gateway or a worker exports', () => {
    const unknown = expressions.flatMap(references).filter((r) => !metrics.has(r.metric));
    expect(unknown.map((r) => r.metric)).toEqual([]);
  });

  it('selects and groups only by labels those metrics carry', () => {
    // Labels can only be read off series that have samples; the calls above give every metric but the fallbacks counter some.
    const sampled = expressions.flatMap(references).filter((r) => metrics.get(r.metric)?.size);
    expect(new Set(sampled.map((r) => r.metric)).size).toBeGreaterThanOrEqual(12);
    const wrong = sampled.flatMap((r) => r.labels.filter((l) => !ADDED_LABELS.has(l) && !metrics.get(r.metric)!.has(l)).map((l) => `${r.metric} by ${l}`));
    expect(wrong).toEqual([]);
  });

  it('covers queue depth and wait per backend, calls and errors per model, latency and time-to-first-token percentiles, and spend', () => {
    const read = new Set(expressions.flatMap(references).map((r) => r.metric));
    for (const metric of [
      'switchyard_queue_jobs',
      'switchyard_queue_wait_seconds_bucket',
      'switchyard_chat_calls_total',
      'switchyard_http_request_duration_seconds_bucket',
      'switchyard_chat_time_to_first_token_seconds_bucket',
      'switchyard_chat_spend_usd_total',
    ])
      expect(read).toContain(metric);
    expect(expressions.some((e) => e.includes('histogram_quantile(0.95'))).toBe(true);
  });
});
