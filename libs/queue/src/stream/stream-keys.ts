/** Redis keys of the result and streaming relay. The prefix is QUEUE_PREFIX, so a test run or tenant owns all of them. */
export const streamKeys = {
  /**
   * A gateway process's inbox: one Redis Stream of {@link InboxEntry}s (its calls' stream events
   * and outcomes), written by workers, read by that gateway alone, expiring when no worker has
   * written to it for a while (its gateway is gone).
   */
  inbox: (prefix: string, gatewayId: string) => `${prefix}:inbox:${gatewayId}`,
  /** Per-call Redis Stream of `ChatStreamEvent`s, for gateways that name no inbox (before inboxes existed). */
  events: (prefix: string, queueName: string, callId: string) => `${prefix}:${queueName}:events:${callId}`,
  /** Marker (no content) that a streamed call sent its first event to an inbox: a re-run of its job must not start over. */
  started: (prefix: string, queueName: string, callId: string) => `${prefix}:${queueName}:started:${callId}`,
  /** Marker that a call was cancelled, for a worker that takes the job after the cancel notice went out. */
  cancelled: (prefix: string, queueName: string, callId: string) => `${prefix}:${queueName}:cancelled:${callId}`,
  /** Pub/sub channel on which gateways tell workers to abort a running call: message `<queue>:<callId>`. */
  cancelChannel: (prefix: string) => `${prefix}:cancel`,
};
