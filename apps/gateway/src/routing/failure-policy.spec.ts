import { type ErrorCode, SwitchyardError } from '@app/contracts';
import type { Deployment, GatewayConfig } from '@app/config';
import type { ModelCatalog } from '../models/model-catalog.service';
import { countsAgainstDeployment, refusedBeforeUpstream, worthAnotherDeployment } from './failure-policy';
import { Router } from './router.service';

const verdict = (error: SwitchyardError) => ({
  fallback: worthAnotherDeployment(error),
  cooldown: countsAgainstDeployment(error),
  refund: refusedBeforeUpstream(error),
});
const CALLER = { fallback: false, cooldown: false, refund: true };
const DEPLOYMENT = { fallback: true, cooldown: true, refund: false };
const CAPACITY = { fallback: true, cooldown: false, refund: false };
const GATEWAY = { fallback: false, cooldown: false, refund: false };

describe('failure policy', () => {
  it.each<[ErrorCode, object]>([
    ['invalid_request', CALLER],
    ['model_not_found', CALLER],
    ['request_too_large', CALLER],
    ['budget_exceeded', CALLER],
    ['client_closed', { ...CALLER, refund: false }],
    ['rate_limit_exceeded', DEPLOYMENT],
    ['upstream_error', DEPLOYMENT],
    ['upstream_unavailable', DEPLOYMENT],
    ['no_worker_available', DEPLOYMENT],
    ['timeout', DEPLOYMENT],
    ['queue_full', CAPACITY],
    ['tokens_over_limit', CAPACITY],
    ['internal_error', GATEWAY],
    ['service_unavailable', GATEWAY],
  ])('%s', (code, expected) => {
    expect(verdict(new SwitchyardError(code, 'x'))).toEqual(expected);
  });

  it('keeps the slot of a request an upstream refused, which did reach the upstream', () => {
    expect(verdict(new SwitchyardError('invalid_request', 'openai upstream: bad field', { upstreamStatus: 400 }))).toEqual({ ...CALLER, refund: false });
  });

  it("treats a key's own rate limit as the caller's", () => {
    expect(verdict(new SwitchyardError('rate_limit_exceeded', 'rpm_limit', { fault: 'caller' }))).toEqual(CALLER);
  });

  it("keeps the fault across the queue, and falls back to the code's own for workers that do not send one", () => {
    const refused = new SwitchyardError('invalid_request', 'x', { upstreamStatus: 413, status: 413 });
    expect(SwitchyardError.fromWire(refused.toWire())).toMatchObject({ fault: 'caller', upstreamStatus: 413, status: 413 });
    const { fault: _fault, ...older } = new SwitchyardError('upstream_error', 'x').toWire();
    expect(SwitchyardError.fromWire(older).fault).toBe('deployment');
    expect(SwitchyardError.fromWire({ ...older, fault: 'nobody' as never }).fault).toBe('deployment');
  });
});

describe('Router, by fault', () => {
  const deployment = (id: string, provider = 'openai') => ({ id, provider, extraParams: {} }) as unknown as Deployment;
  const groups: Record<string, Deployment[]> = { mixed: [deployment('cloud'), deployment('local', 'ollama')] };
  const config = { router: { routingStrategy: 'simple-shuffle', allowedFails: 2, cooldownTimeMs: 60_000, fallbacks: new Map() } } as unknown as GatewayConfig;
  const catalog = {
    models: { group: (name: string) => groups[name] ?? [], resolve: (name: string) => (groups[name] ? { group: name, deployments: groups[name] } : undefined) },
  } as unknown as ModelCatalog;
  const fail = (router: Router, id: string, error: SwitchyardError, times: number) => {
    for (let i = 0; i < times; i++) router.begin(id)(error);
  };
  const planned = (router: Router) =>
    router
      .plan('mixed')
      .map((a) => a.deployment.id)
      .sort();

  it.each([
    ['the caller', new SwitchyardError('invalid_request', 'x')],
    ['an upstream refusing the request', new SwitchyardError('invalid_request', 'x', { upstreamStatus: 422 })],
    ['the gateway', new SwitchyardError('internal_error', 'x')],
    ['a full queue', new SwitchyardError('queue_full', 'x')],
  ])('never cools a deployment down for failures of %s', (_case, error) => {
    const router = new Router(config, catalog);
    fail(router, 'cloud', error, 10);
    expect(planned(router)).toEqual(['cloud', 'local']);
  });

  it('cools a deployment down after allowed_fails failures of its own', () => {
    const router = new Router(config, catalog);
    fail(router, 'cloud', new SwitchyardError('upstream_error', 'x'), 2);
    expect(planned(router)).toEqual(['local']);
  });

  it('leaves out of a plan the deployments that cannot take the call', () => {
    const router = new Router(config, catalog);
    expect(
      router
        .plan(
          'mixed',
          () => true,
          (d) => d.provider !== 'ollama',
        )
        .map((a) => a.deployment.id),
    ).toEqual(['cloud']);
  });
});
