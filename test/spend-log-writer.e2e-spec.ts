import { DataSource } from 'typeorm';
import { SpendLogEntity, VirtualKeyEntity, dataSourceOptions, runMigrationsWithLock } from '@app/database';
import { TcpProxy, createTestDatabase, sleep } from '@test/support';
import { SpendLogWriter, type SpendRow } from '../apps/gateway/src/spend/spend-log.writer';

const KEY_ID = '00000000-0000-4000-8000-00000000000a';
const row = (n: number, fields: Partial<SpendRow> = {}): SpendRow => ({
  requestId: `req-${n}`,
  keyToken: 'a'.repeat(64),
  keyId: KEY_ID,
  keyAlias: null,
  modelGroup: 'm',
  servedModelGroup: 'm',
  deploymentId: 'd',
  provider: 'ollama',
  upstreamModel: 'llama3.2',
  promptTokens: 2,
  completionTokens: 3,
  totalTokens: 5,
  spend: 0.001,
  latencyMs: 3,
  status: 'success',
  httpStatus: 200,
  errorCode: null,
  stream: false,
  api: 'chat_completions',
  tags: [],
  startTime: new Date(),
  endTime: new Date(),
  ...fields,
});

describe('spend log writer against real Postgres', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(database.url)).initialize();
    await runMigrationsWithLock(dataSource);
    await dataSource
      .getRepository(VirtualKeyEntity)
      .insert({ id: KEY_ID, token: 'a'.repeat(64), keyName: 'sk-...aaaa', models: [], metadata: {}, blocked: false, spend: 0 });
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('writes a backlog in batches and adds each key its spend once', async () => {
    const writer = new SpendLogWriter(dataSource);
    for (let i = 0; i < 1200; i++) writer.push(row(i));
    await writer.onApplicationShutdown();
    const [{ n, spend }] = await dataSource.query('SELECT count(*)::int AS n, (SELECT spend FROM virtual_keys) AS spend FROM spend_logs');
    expect(n).toBe(1200);
    expect(spend).toBeCloseTo(1.2, 9);
  });

  it('stores every field of a row as it was pushed: text with quotes and commas, nulls, tags, times to the millisecond', async () => {
    const writer = new SpendLogWriter(dataSource);
    const pushed = row(1, {
      requestId: 'fields-1',
      keyAlias: 'alias "quoted", {braced}\\ é',
      keyId: null,
      errorCode: null,
      upstreamModel: 'gpt-4o-mini',
      promptTokens: 9_007_199_254,
      spend: 0.1 + 0.2,
      status: 'failure',
      httpStatus: 429,
      stream: true,
      tags: ['team:a', 'has,comma', 'has "quote"', 'ü'],
      startTime: new Date('2026-12-02T16:00:00.123Z'),
      endTime: new Date('2026-12-02T16:00:01.456Z'),
    });
    writer.push(pushed);
    writer.push(row(2, { requestId: 'fields-2', tags: [] }));
    await writer.flush();
    const stored = await dataSource.getRepository(SpendLogEntity).findOneByOrFail({ requestId: 'fields-1' });
    const { id: _id, ...fields } = stored;
    expect(fields).toEqual(pushed);
    expect((await dataSource.getRepository(SpendLogEntity).findOneByOrFail({ requestId: 'fields-2' })).tags).toEqual([]);
    await writer.onApplicationShutdown();
  });

  it('drops only a row Postgres refuses, and writes the rest of its batch', async () => {
    const writer = new SpendLogWriter(dataSource);
    writer.push(row(1, { requestId: 'good-1' }));
    writer.push(row(2, { requestId: 'bad', modelGroup: 'x'.repeat(300) }));
    writer.push(row(3, { requestId: 'good-2' }));
    await writer.flush();
    const ids = (await dataSource.query("SELECT request_id FROM spend_logs WHERE request_id IN ('good-1', 'bad', 'good-2') ORDER BY request_id")).map(
      (r: { request_id: string }) => r.request_id,
    );
    expect(ids).toEqual(['good-1', 'good-2']);
    await writer.onApplicationShutdown();
  });

  it('while Postgres is unreachable, keeps the rows, retries about once a second, and writes them when it is back', async () => {
    const url = new URL(database.url);
    const proxy = new TcpProxy(url.hostname, Number(url.port));
    url.port = String(await proxy.start());
    const behindProxy = await new DataSource({ ...dataSourceOptions(url.toString()), extra: { connectionTimeoutMillis: 500, max: 2 } }).initialize();
    try {
      const writer = new SpendLogWriter(behindProxy);
      const attempts = jest.spyOn(behindProxy, 'transaction');
      proxy.cut();
      const started = Date.now();
      let pushed = 0;
      while (Date.now() - started < 2500) {
        for (let i = 0; i < 100; i++) writer.push(row(pushed++, { requestId: `while-down-${pushed}` }));
        await sleep(20);
      }
      // Thousands of rows pushed meanwhile: a retry about every second, not a write per push.
      expect(attempts.mock.calls.length).toBeGreaterThanOrEqual(2);
      expect(attempts.mock.calls.length).toBeLessThanOrEqual(6);

      proxy.restore();
      await writer.onApplicationShutdown();
      const [{ n }] = await dataSource.query("SELECT count(*)::int AS n FROM spend_logs WHERE request_id LIKE 'while-down-%'");
      expect(n).toBe(pushed);
    } finally {
      await behindProxy.destroy();
      await proxy.stop();
    }
  });
});
