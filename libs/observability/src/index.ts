export * from './request-id';
export * from './logger.factory';
