import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { renderError } from './render-error';

/** The one place route errors become HTTP answers, in the error shape of the route's API (see `errorAnswer`). */
@Catch()
export class OpenAIExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    renderError(exception, http.getRequest<Request>(), http.getResponse<Response>());
  }
}
