import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

// Client ids are echoed in headers, logs and Redis keys, and become BullMQ job ids, which may
// contain no ':' and may not be plain integers: keep them short and plain.
const ACCEPTABLE_ID = /^[A-Za-z0-9._-]{1,128}$/;
const INTEGER = /^\d+$/;

/** The client's `x-request-id` when it is usable, otherwise a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && ACCEPTABLE_ID.test(value) && !INTEGER.test(value) ? value : randomUUID();
}
