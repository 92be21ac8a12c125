export * from './config-error';
export * from './env.schema';
export * from './process-env';
export * from './call-settings';
export * from './deployment';
export * from './model-config.loader';
export * from './model-registry';
export * from './switchyard-config';
