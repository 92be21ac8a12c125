import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { SwitchyardError } from '@app/contracts';
import type { AuthContext } from '../auth/auth-context';
import { AdminOnly, Auth } from '../auth/auth.decorators';
import { tokenOf } from '../auth/key-material';
import { parseBody } from '../http/parse-body';
import { deleteKeysSchema, generateKeySchema } from './key-requests.schema';
import { KeysService } from './keys.service';

/** LiteLLM's key-management endpoints, same paths and field names. */
@Controller('key')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Post('generate')
  @HttpCode(200)
  @AdminOnly()
  generate(@Body() body: unknown) {
    return this.keys.generate(parseBody(generateKeySchema, body));
  }

  /** Master key: any key. A virtual key: itself only (and itself when `key` is omitted). */
  @Get('info')
  async info(@Auth() auth: AuthContext, @Query('key') key?: string) {
    if (auth.kind === 'virtual') {
      if (key && tokenOf(key) !== auth.key.token) throw new SwitchyardError('admin_only', 'a virtual key may only read its own info');
      return { key: auth.key.keyName, info: await this.keys.info(auth.key.token) };
    }
    if (!key) throw new SwitchyardError('invalid_request', "'key' query parameter is required", { param: 'key' });
    const info = await this.keys.info(key);
    // The plaintext is never sent back, not even to the caller who sent it.
    return { key: info.key_name, info };
  }

  @Post('delete')
  @HttpCode(200)
  @AdminOnly()
  async delete(@Body() body: unknown) {
    const { keys } = parseBody(deleteKeysSchema, body);
    return { deleted_keys: await this.keys.delete(keys) };
  }
}
