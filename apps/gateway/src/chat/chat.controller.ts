import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth.decorators';
import { ChatService } from './chat.service';

@Controller()
export class ChatController {
  constructor(private readonly chat: ChatService) {}

  @Post(['v1/chat/completions', 'chat/completions'])
  @HttpCode(200)
  complete(@Auth() auth: AuthContext, @Body() body: unknown, @Req() req: Request) {
    return this.chat.complete(auth, body, req.requestId);
  }
}
