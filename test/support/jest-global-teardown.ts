// After the last spec: the servers the run started go (see jest-global-setup.ts).
export { globalTeardown as default } from './jest-global-setup';
