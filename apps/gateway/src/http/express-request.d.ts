import type { Context } from '@opentelemetry/api';
import type { AuthContext } from '../auth/auth-context';
import type { RequestFacts } from './request-facts';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the request-id middleware before anything else runs. */
    requestId: string;
    /** True when `requestId` is the client's `x-request-id` rather than one the gateway made. */
    requestIdFromClient: boolean;
    /** Set by the API key guard on authenticated routes. */
    auth?: AuthContext;
    /** Filled in by the routes that know more (chat), for the request's log line and metrics. */
    facts?: RequestFacts;
    /** The request's server span, as a context, when the gateway traces. */
    traceContext?: Context;
  }
}
