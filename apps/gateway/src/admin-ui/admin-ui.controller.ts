import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { SwitchyardError } from '@app/contracts';
import { GatewayConfig } from '@app/config';
import { sameSecret } from '@app/observability';
import { AdminOnly, Public } from '../auth/auth.decorators';
import { clientAddress } from '../auth/client-address';
import { FailedAuthAttempts } from '../auth/failed-auth-attempts.service';
import { keyFromHeaders } from '../auth/key-material';
import { UiSessions } from '../auth/ui-sessions.service';
import { openApiSchema } from '../http/api-docs';
import { parseBody } from '../http/parse-body';

const loginSchema = z.looseObject({
  username: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
  password: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
});

/** The admin UI's server-side routes: log in and log out. The pages are static files under /ui. */
@ApiTags('Admin UI')
@Controller('ui')
export class AdminUiController {
  constructor(
    private readonly sessions: UiSessions,
    private readonly attempts: FailedAuthAttempts,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  /** LiteLLM's login: user `admin` (UI_USERNAME) and the master key (or UI_PASSWORD) as password. */
  @Post('login')
  @ApiOperation({ summary: 'Admin UI login: username and password (the master key); answers a session token that expires' })
  @ApiBody({ schema: openApiSchema(loginSchema) })
  @HttpCode(200)
  @Public()
  async login(@Body() body: unknown, @Req() req: Request) {
    // Counted with every other wrong secret from this address (see FailedAuthAttempts).
    const address = clientAddress(req);
    this.attempts.refuseIfBlocked(address);
    const { username, password } = parseBody(loginSchema, body);
    const { UI_USERNAME, UI_PASSWORD, MASTER_KEY } = this.config.env;
    // Both compared, always, so the answer time says nothing about which one was wrong.
    const userOk = sameSecret(username, UI_USERNAME);
    const passwordOk = sameSecret(password, UI_PASSWORD ?? MASTER_KEY);
    if (!userOk || !passwordOk) {
      await this.attempts.failed(address);
      throw new SwitchyardError('invalid_api_key', 'wrong username or password');
    }
    const { token, expiresAt } = this.sessions.issue();
    return { token, token_type: 'Bearer', expires_at: expiresAt.toISOString(), store_model_in_db: this.config.env.STORE_MODEL_IN_DB };
  }

  /** Ends the session whose token is in the Authorization header, on every gateway replica. */
  @Post('logout')
  @ApiOperation({ summary: 'Admin UI log out: the session token sent as the Bearer key stops working on every gateway' })
  @ApiBearerAuth()
  @HttpCode(200)
  @AdminOnly()
  async logout(@Req() req: Request) {
    const token = keyFromHeaders(req.headers) ?? '';
    if (!UiSessions.isSessionToken(token)) {
      throw new SwitchyardError('invalid_request', 'log out ends an admin UI session: send its token (sy-ui.…) as the Bearer key');
    }
    await this.sessions.revoke(token);
    return { message: 'logged out' };
  }
}
