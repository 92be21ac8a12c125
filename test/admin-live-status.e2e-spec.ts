import {
  FakeOpenAIServer,
  MODEL_STATUS_SHAPE,
  QUEUE_STATUS_SHAPE,
  SPEND_ACTIVITY_SHAPE,
  type Stack,
  call,
  eventually,
  expectShape,
  fakeEnv,
  generateKey,
  startFakes,
  startStack,
} from '@test/support';

const MINI = 'openai/gpt-4o-mini';
const OSS = 'ollama/gpt-oss:20b';

/** The tutorial's two models, a deployment that fails (to cool down), one whose upstream answers 429 (to pause), and one with a limit. */
function liveConfig(ollamaOrigin: string, flaky: FakeOpenAIServer, limited: FakeOpenAIServer): string {
  return `model_list:
  - model_name: ${MINI}
    litellm_params: {model: gpt-4o-mini, api_key: os.environ/OPENAI_API_KEY}
    model_info: {id: mini-1}
  - model_name: ${OSS}
    litellm_params: {model: ${OSS}, api_base: "${ollamaOrigin}"}
    model_info: {id: oss-1}
  - model_name: flaky
    litellm_params: {model: openai/gpt-4o-mini, api_base: "${flaky.url}", api_key: sk-flaky, num_retries: 0}
    model_info: {id: flaky-1}
  - model_name: limited
    litellm_params: {model: openai/gpt-4o-mini, api_base: "${limited.url}", api_key: sk-limited, num_retries: 0}
    model_info: {id: limited-1}
  - model_name: metered
    litellm_params: {model: openai/gpt-4o-mini, api_base: "${limited.url}", api_key: sk-limited, rpm: 600}
    model_info: {id: metered-1}
router_settings:
  allowed_fails: 1
  cooldown_time: 120
`;
}

jest.setTimeout(60_000);

describe('admin live status: spend activity, queue status and model status', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  const flaky = new FakeOpenAIServer({ models: ['gpt-4o-mini'] });
  const limited = new FakeOpenAIServer({ models: ['gpt-4o-mini'] });
  let stack: Stack;
  let userKey = '';
  const ask = (model: string, key?: string, tags?: string) =>
    call(stack.url, '/v1/chat/completions', {
      key,
      body: { model, messages: [{ role: 'user', content: 'hi' }] },
      headers: tags ? { 'x-litellm-tags': tags } : undefined,
    });

  beforeAll(async () => {
    fakes = await startFakes();
    await Promise.all([flaky.start(), limited.start()]);
    stack = await startStack({ config: liveConfig(fakes.ollama.origin, flaky, limited), env: fakeEnv(fakes.openai) });
    userKey = (await generateKey(stack.url, { key_alias: 'chart-key' })).key;
    for (const [model, key, tags] of [
      [MINI, userKey, 'chart-tag'],
      [MINI, userKey, undefined],
      [OSS, undefined, 'chart-tag'],
    ] as const) {
      expect((await ask(model, key, tags)).status).toBe(200);
    }
    // The spend log gets the calls within about a second.
    await eventually(
      () => call(stack.url, '/global/spend'),
      (r) => r.json?.requests === 3,
    );
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
    await Promise.all([flaky.stop(), limited.stop()]);
  });

  it('sums spend, calls and tokens per day and per key, a gpt-4o-mini call costing a little but not nothing', async () => {
    const res = await call(stack.url, '/spend/activity?granularity=day&group_by=key');
    expect(res.status).toBe(200);
    expectShape(SPEND_ACTIVITY_SHAPE, res.json, 'spend activity');
    // The day of the key's calls, as the spend log has them (a run across midnight stays right).
    const logs = (await call(stack.url, '/spend/logs?api_key=' + encodeURIComponent(userKey))).json as Array<{ startTime: string }>;
    const today = `${logs[0].startTime.slice(0, 10)}T00:00:00.000Z`;
    const byLabel = new Map(res.json.data.map((r: { label: string }) => [r.label, r]));
    expect(byLabel.get('chart-key')).toMatchObject({ bucket: today, requests: 2 });
    expect(byLabel.get('master key')).toMatchObject({ bucket: today, group: null, requests: 1, spend: 0 });
    const spend = (byLabel.get('chart-key') as { spend: number }).spend;
    expect(spend).toBeGreaterThan(0);
    expect(spend).toBeLessThan(0.0001);
    expect((byLabel.get('chart-key') as { group: string }).group).toMatch(/^[0-9a-f]{64}$/);
  });

  it('buckets by the hour, and groups by model and by tag', async () => {
    // Each call's hour, from the spend log: the expected buckets, even for calls either side of an hour's end.
    const logs = (await call(stack.url, '/spend/logs')).json as Array<{ startTime: string; model_group: string }>;
    const expected = new Map<string, number>();
    for (const log of logs) {
      const bucket = `${log.startTime.slice(0, 13)}:00:00.000Z`;
      expected.set(`${bucket} ${log.model_group}`, (expected.get(`${bucket} ${log.model_group}`) ?? 0) + 1);
    }
    const byModel = await call(stack.url, '/spend/activity?granularity=hour&group_by=model');
    expectShape(SPEND_ACTIVITY_SHAPE, byModel.json, 'spend activity per model');
    const got = new Map<string, number>(
      byModel.json.data.map((r: { bucket: string; group: string; requests: number }) => [`${r.bucket} ${r.group}`, r.requests]),
    );
    expect(got).toEqual(expected);
    expect([...got.keys()].map((k) => k.split(' ')[1]).sort()).toEqual(expect.arrayContaining([MINI, OSS]));
    const byTag = await call(stack.url, '/spend/activity?group_by=tag');
    expect(byTag.json.data).toEqual([expect.objectContaining({ group: 'chart-tag', label: 'chart-tag', requests: 2 })]);
    const all = await call(stack.url, '/spend/activity');
    expect(all.json).toMatchObject({ granularity: 'day', group_by: null, data: [{ group: null, label: 'all', requests: 3 }] });
  });

  it('keeps the series with the highest spend and adds up the others as "other"', async () => {
    const res = await call(stack.url, '/spend/activity?group_by=model&groups=1');
    expect(res.json.data.map((r: { group: string | null; label: string; requests: number }) => [r.group, r.label, r.requests])).toEqual([
      [MINI, MINI, 2],
      [null, 'other', 1],
    ]);
  });

  it('refuses bad parameters with a 400 naming the parameter, and anyone but the admin', async () => {
    const bad: Array<[string, string]> = [
      ['granularity=week', 'granularity'],
      ['group_by=team', 'group_by'],
      ['start_date=yesterday', 'start_date'],
      ['start_date=2026-02-01&end_date=2026-01-01', 'start_date'],
      ['granularity=hour&start_date=2026-01-01&end_date=2026-03-01', 'start_date'],
      ['groups=0', 'groups'],
      ['granularity=day&granularity=hour', 'granularity'],
    ];
    for (const [query, param] of bad) {
      const res = await call(stack.url, `/spend/activity?${query}`);
      expect([query, res.status, res.json.error.param]).toEqual([query, 400, param]);
    }
    for (const path of ['/spend/activity', '/queue/status', '/model/status']) {
      expect([path, (await call(stack.url, path, { key: null })).status]).toEqual([path, 401]);
      expect([path, (await call(stack.url, path, { key: userKey })).status]).toEqual([path, 403]);
    }
  });

  it('shows each backend queue: its depth, the waits of its latest jobs, and the workers consuming it with their concurrency', async () => {
    // Workers write the waits they saw a moment later (QUEUE_WAIT_FLUSH_MS).
    const res = await eventually(
      () => call(stack.url, '/queue/status'),
      (r) => r.status !== 200 || r.json.data.every((q: { wait_ms: { samples: number } }) => q.wait_ms.samples > 0),
    );
    expect(res.status).toBe(200);
    expectShape(QUEUE_STATUS_SHAPE, res.json, 'queue status');
    const queues = new Map(res.json.data.map((q: { queue: string }) => [q.queue, q]));
    expect(queues.get('chat-openai')).toMatchObject({
      waiting: 0,
      active: 0,
      workers: [{ name: 'worker-openai', concurrency: 32 }],
      total_concurrency: 32,
      wait_ms: { samples: 2 },
    });
    expect(queues.get('chat-ollama')).toMatchObject({ workers: [{ name: 'worker-ollama', concurrency: 4 }], wait_ms: { samples: 1 } });
    const waits = (queues.get('chat-openai') as { wait_ms: { p50: number; p99: number } }).wait_ms;
    expect(waits.p50).toBeGreaterThanOrEqual(0);
    expect(waits.p99).toBeGreaterThanOrEqual(waits.p50);
  });

  it('shows each deployment serving, cooling down after failures, or paused after an upstream 429, with recent latency and error rate', async () => {
    flaky.failNext(1, 500, 'upstream broke');
    expect((await ask('flaky')).status).toBe(502);
    limited.failNext(1, 429, 'Rate limit reached', { 'retry-after': '3600' });
    expect((await ask('limited')).status).toBe(429);

    const res = await call(stack.url, '/model/status');
    expect(res.status).toBe(200);
    expectShape(MODEL_STATUS_SHAPE, res.json, 'model status');
    const byId = new Map(res.json.data.map((d: { model_id: string }) => [d.model_id, d]));
    expect(byId.get('mini-1')).toMatchObject({ model_name: MINI, queue: 'chat-openai', state: 'serving', paused_until: null, cooling_down_until: null });
    expect(byId.get('mini-1')).toMatchObject({ recent: { calls: 2, error_rate: 0 } });
    expect((byId.get('mini-1') as { recent: { latency_ms: { p50: number } } }).recent.latency_ms.p50).toBeGreaterThan(0);
    expect(byId.get('flaky-1')).toMatchObject({ state: 'cooling_down', paused_until: null, recent: { calls: 1, error_rate: 1 } });
    expect(byId.get('limited-1')).toMatchObject({ state: 'paused' });
    // Calls in flight across workers are counted for a deployment with a limit only.
    expect([byId.get('metered-1'), byId.get('mini-1')]).toMatchObject([{ in_flight: 0 }, { in_flight: null, in_flight_here: 0 }]);
    const pausedFor = Date.parse((byId.get('limited-1') as { paused_until: string }).paused_until) - Date.now();
    expect(pausedFor).toBeGreaterThan(3_000_000);
    // Nothing of a deployment's settings or credentials.
    expect(res.text).not.toContain('sk-flaky');
    expect(res.text).not.toContain(fakeEnv(fakes.openai).OPENAI_API_KEY);
  });
});
