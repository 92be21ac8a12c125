import { randomBytes, randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

// Client ids are echoed in headers and logs and are part of BullMQ job ids, which may contain
// no ':': keep them short and plain.
const ACCEPTABLE_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The id of one call inside Switchyard (its job id, its Redis keys): the request id when the
 * gateway made it, unique already; the client's own id with a random suffix, so two clients that
 * send the same `x-request-id` never share a job, an answer or a rate-limit slot.
 */
export function callIdFor(requestId: string, chosenByClient: boolean): string {
  return chosenByClient ? `${requestId}.${randomBytes(4).toString('hex')}` : requestId;
}

/** The client's `x-request-id` when it is usable, otherwise a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && ACCEPTABLE_ID.test(value) ? value : randomUUID();
}
