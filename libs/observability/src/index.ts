export * from './request-id';
export * from './logger.factory';
export * from './metrics/metrics-registry';
export * from './metrics/gateway-metrics';
export * from './metrics/worker-metrics';
export * from './metrics/queue-depth.gauge';
export * from './metrics/metrics-endpoint';
export * from './stop-signals';
