/** Redis keys of the streaming relay. The prefix is QUEUE_PREFIX, so a test run or tenant owns all of them. */
export const streamKeys = {
  /** Per-call Redis Stream of `ChatStreamEvent`s, written by the worker, read by the gateway. */
  events: (prefix: string, queueName: string, requestId: string) => `${prefix}:${queueName}:events:${requestId}`,
  /** Marker that a call was cancelled, for a worker that takes the job after the cancel notice went out. */
  cancelled: (prefix: string, queueName: string, requestId: string) => `${prefix}:${queueName}:cancelled:${requestId}`,
  /** Pub/sub channel on which gateways tell workers to abort a running call: message `<queue>:<requestId>`. */
  cancelChannel: (prefix: string) => `${prefix}:cancel`,
};
