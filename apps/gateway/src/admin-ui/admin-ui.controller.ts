import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { SwitchyardError } from '@app/contracts';
import { GatewayConfig } from '@app/config';
import { sameSecret } from '@app/observability';
import { Public } from '../auth/auth.decorators';
import { UiSessions } from '../auth/ui-sessions.service';
import { openApiSchema } from '../http/api-docs';
import { parseBody } from '../http/parse-body';
import { LoginAttempts } from './login-attempts';

const loginSchema = z.looseObject({
  username: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
  password: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
});

/** The admin UI's only server-side route: its login. The pages are static files under /ui. */
@ApiTags('Admin UI')
@Controller('ui')
export class AdminUiController {
  private readonly attempts = new LoginAttempts();

  constructor(
    private readonly sessions: UiSessions,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  /** LiteLLM's login: user `admin` (UI_USERNAME) and the master key (or UI_PASSWORD) as password. */
  @Post('login')
  @ApiOperation({ summary: 'Admin UI login: username and password (the master key); answers a session token that expires' })
  @ApiBody({ schema: openApiSchema(loginSchema) })
  @HttpCode(200)
  @Public()
  login(@Body() body: unknown, @Req() req: Request) {
    // The client's address; behind a load balancer, set TRUST_PROXY so this is not the balancer's.
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const waitMs = this.attempts.blockedFor(address);
    if (waitMs > 0) {
      throw new SwitchyardError('rate_limit_exceeded', `too many failed logins from this address; try again in ${Math.ceil(waitMs / 1000)} s`, { retryAfterMs: waitMs });
    }
    const { username, password } = parseBody(loginSchema, body);
    const { UI_USERNAME, UI_PASSWORD, MASTER_KEY } = this.config.env;
    // Both compared, always, so the answer time says nothing about which one was wrong.
    const userOk = sameSecret(username, UI_USERNAME);
    const passwordOk = sameSecret(password, UI_PASSWORD ?? MASTER_KEY);
    if (!userOk || !passwordOk) {
      this.attempts.failed(address);
      throw new SwitchyardError('invalid_api_key', 'wrong username or password');
    }
    this.attempts.succeeded(address);
    const { token, expiresAt } = this.sessions.issue();
    return { token, token_type: 'Bearer', expires_at: expiresAt.toISOString(), store_model_in_db: this.config.env.STORE_MODEL_IN_DB };
  }
}
