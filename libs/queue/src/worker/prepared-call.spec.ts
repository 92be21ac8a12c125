import { CHAT_JOB_VERSION, type ChatJobPayload, SwitchyardError } from '@app/contracts';
import type { Deployment } from '@app/config';
import type { ChatOperation } from '@app/providers';
import { prepareCall } from './prepared-call';

const deployment = { id: 'd1', provider: 'ollama' } as Deployment;
const payload = (request: Record<string, unknown> = {}): ChatJobPayload => ({
  v: CHAT_JOB_VERSION,
  callId: 'r1',
  deploymentId: 'd1',
  modelName: 'm',
  request: { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(40) }], ...request },
  stream: false,
  deadline: Date.now() + 1000,
  enqueuedAt: Date.now(),
});
// A provider's operation whose prepare() is the case's; its answer's shape is the case's too.
const processor = (prepare: (...args: Parameters<ChatOperation['prepare']>) => unknown) =>
  ({ prepare, complete: jest.fn(), stream: jest.fn() }) as unknown as ChatOperation;
const thrownBy = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('prepareCall', () => {
  it("returns the provider's request and the call's token estimate", () => {
    const prepared = prepareCall(
      processor((_d, request, stream) => ({ body: request.messages, stream })),
      deployment,
      payload({ max_tokens: 5 }),
      jest.fn(),
    );
    expect(prepared).toEqual({ call: { body: [{ role: 'user', content: 'x'.repeat(40) }], stream: false }, estimate: 15, promptEstimate: 10 });
  });

  it("passes on the mapper's own refusal, naming the field", () => {
    const refusal = new SwitchyardError('invalid_request', 'ollama takes images only as base64 data URLs', { param: 'messages[0].content[0].image_url' });
    const unexpected = jest.fn();
    expect(
      thrownBy(() =>
        prepareCall(
          processor(() => {
            throw refusal;
          }),
          deployment,
          payload(),
          unexpected,
        ),
      ),
    ).toBe(refusal);
    expect(unexpected).not.toHaveBeenCalled();
  });

  it.each([
    [
      'a mapper that did not expect the shape',
      processor(() => {
        throw new TypeError("Cannot read properties of undefined (reading 'name')");
      }),
      payload(),
    ],
    ['a token estimate that did not expect the shape', processor(() => ({})), payload({ messages: [{ role: 'assistant', content: 'x', tool_calls: 5 }] })],
  ])("turns %s into the caller's 400, reported once, not a 500 of the deployment", (_case, mapper, job) => {
    const unexpected = jest.fn();
    const error = thrownBy(() => prepareCall(mapper, deployment, job, unexpected));
    expect(error).toBeInstanceOf(SwitchyardError);
    expect(error).toMatchObject({ code: 'invalid_request', status: 400, fault: 'caller', upstreamStatus: undefined });
    expect((error as Error).message).toContain('ollama');
    expect(unexpected).toHaveBeenCalledTimes(1);
  });
});
