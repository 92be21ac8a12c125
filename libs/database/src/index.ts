export * from './entities/spend-log.entity';
export * from './entities/stored-response.entity';
export * from './entities/model-deployment.entity';
export * from './entities/virtual-key.entity';
export * from './data-source.options';
export * from './migration-runner';
