/** Redis keys of the streaming relay. The prefix is QUEUE_PREFIX, so a test run or tenant owns all of them. */
export const streamKeys = {
  /** Per-call Redis Stream of `ChatStreamEvent`s, written by the worker, read by the gateway. */
  events: (prefix: string, queueName: string, callId: string) => `${prefix}:${queueName}:events:${callId}`,
  /** Marker that a call was cancelled, for a worker that takes the job after the cancel notice went out. */
  cancelled: (prefix: string, queueName: string, callId: string) => `${prefix}:${queueName}:cancelled:${callId}`,
  /** Pub/sub channel on which gateways tell workers to abort a running call: message `<queue>:<callId>`. */
  cancelChannel: (prefix: string) => `${prefix}:cancel`,
};
