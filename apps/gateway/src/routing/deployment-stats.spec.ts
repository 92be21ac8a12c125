import { DeploymentStats } from './deployment-stats';

describe('DeploymentStats', () => {
  it('gives the latency percentiles and error rate of a deployment’s latest calls', () => {
    const stats = new DeploymentStats();
    const now = 1_000_000;
    for (let i = 1; i <= 20; i++) stats.record('a', i * 10, i % 4 === 0, now);
    expect(stats.recent('a', now)).toEqual({ calls: 20, error_rate: 0.25, latency_ms: { p50: 100, p95: 190 } });
    expect(stats.recent('b', now)).toEqual({ calls: 0, error_rate: null, latency_ms: { p50: null, p95: null } });
  });

  it('keeps the latest 100 calls of the last 5 minutes', () => {
    const stats = new DeploymentStats();
    for (let i = 0; i < 150; i++) stats.record('a', i < 50 ? 5_000 : 10, i < 50, 0);
    expect(stats.recent('a', 0)).toMatchObject({ calls: 100, error_rate: 0 });
    expect(stats.recent('a', 5 * 60_000 + 1)).toMatchObject({ calls: 0 });
  });
});
