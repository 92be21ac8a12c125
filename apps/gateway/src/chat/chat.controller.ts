import { Body, Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { GatewayConfig } from '@app/config';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth.decorators';
import { relayChatStream } from './chat-stream.relay';
import { ChatService } from './chat.service';

@Controller()
export class ChatController {
  constructor(
    private readonly chat: ChatService,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  @Post(['v1/chat/completions', 'chat/completions'])
  async complete(@Auth() auth: AuthContext, @Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const call = this.chat.prepare(auth, body, req.requestId);
    if (!call.payload.stream) {
      res.status(200).json(await this.chat.complete(call));
      return;
    }
    await relayChatStream(await this.chat.stream(call), req, res, {
      model: call.request.model,
      includeUsage: call.request.stream_options?.include_usage === true,
      keepAliveMs: this.config.env.STREAM_KEEPALIVE * 1000,
    });
  }
}
