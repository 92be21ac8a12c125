import type { Response } from 'express';

/**
 * A model route's JSON answer (status 200) with its headers: the same status, headers and bytes
 * as Express's `res.set(headers).status(200).json(body)`, written without Express's per-answer
 * work (it parses the content type again to add the charset), since it runs once per call.
 */
export function sendJson(res: Response, body: unknown, headers: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(headers)) res.setHeader(name, headers[name]);
  const text = JSON.stringify(body);
  res.statusCode = 200;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
