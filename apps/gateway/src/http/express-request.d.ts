import type { AuthContext } from '../auth/auth-context';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the request-id middleware before anything else runs. */
    requestId: string;
    /** Set by the API key guard on authenticated routes. */
    auth?: AuthContext;
  }
}
