import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { SwitchyardError } from '@app/contracts';
import type { AuthContext } from '../auth/auth-context';
import { AdminOnly, Auth } from '../auth/auth.decorators';
import { tokenOf } from '../auth/key-material';
import { parseBody } from '../http/parse-body';
import {
  deleteKeysSchema,
  generateKeySchema,
  keyInfoQuerySchema,
  keyRefSchema,
  listKeysSchema,
  regenerateKeySchema,
  updateKeySchema,
} from './key-requests.schema';
import { KeysService, keyInfo } from './keys.service';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { openApiSchema } from '../http/api-docs';

/** LiteLLM's key-management endpoints, same paths and field names. */
@ApiTags('Keys (admin)')
@ApiBearerAuth()
@Controller('key')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Post('generate')
  @ApiOperation({ summary: 'Create a virtual key; the plaintext `key` is in this answer only' })
  @ApiBody({ schema: openApiSchema(generateKeySchema) })
  @HttpCode(200)
  @AdminOnly()
  generate(@Body() body: unknown) {
    return this.keys.generate(parseBody(generateKeySchema, body));
  }

  @Post('update')
  @ApiOperation({ summary: 'Change a key; fields not sent stay as they are' })
  @ApiBody({ schema: openApiSchema(updateKeySchema) })
  @HttpCode(200)
  @AdminOnly()
  update(@Body() body: unknown) {
    const { key, ...settings } = parseBody(updateKeySchema, body);
    return this.keys.update(key, settings);
  }

  /** Master key: any key. A virtual key: itself only (and itself when `key` is omitted). */
  @Get('info')
  @ApiOperation({ summary: "A key's settings and spend (master key: any key; a virtual key: itself)" })
  @ApiQuery({ name: 'key', required: false, description: 'The key or its hash' })
  async info(@Auth() auth: AuthContext, @Query() query: unknown) {
    const { key } = parseBody(keyInfoQuerySchema, query);
    if (auth.kind === 'virtual') {
      if (key && tokenOf(key) !== auth.key.token) throw new SwitchyardError('admin_only', 'a virtual key may only read its own info');
      return { key: auth.key.keyName, info: await this.keys.info(auth.key.token) };
    }
    if (!key) throw new SwitchyardError('invalid_request', "'key' query parameter is required", { param: 'key' });
    const info = await this.keys.info(key);
    // The plaintext is never sent back, not even to the caller who sent it.
    return { key: info.key_name, info };
  }

  /** Newest first. `keys` holds hashes, or the full objects with `return_full_object=true`. */
  @Get('list')
  @ApiOperation({ summary: 'Keys, newest first, paginated' })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'size', required: false })
  @ApiQuery({ name: 'key_alias', required: false })
  @ApiQuery({ name: 'return_full_object', required: false })
  @AdminOnly()
  async list(@Query() query: unknown) {
    const { page, size, key_alias, return_full_object } = parseBody(listKeysSchema, query);
    const { rows, total } = await this.keys.list({ page, size, keyAlias: key_alias });
    return {
      keys: rows.map((row) => (return_full_object ? keyInfo(row) : row.token)),
      total_count: total,
      current_page: page,
      total_pages: Math.ceil(total / size),
    };
  }

  @Post('delete')
  @ApiOperation({ summary: 'Delete keys by key, hash or alias; all or nothing' })
  @ApiBody({ schema: openApiSchema(deleteKeysSchema) })
  @HttpCode(200)
  @AdminOnly()
  async delete(@Body() body: unknown) {
    const { keys, key_aliases } = parseBody(deleteKeysSchema, body);
    return { deleted_keys: await this.keys.delete(keys ?? [], key_aliases ?? []) };
  }

  @Post('block')
  @ApiOperation({ summary: 'Block a key (401 until unblocked)' })
  @ApiBody({ schema: openApiSchema(keyRefSchema) })
  @HttpCode(200)
  @AdminOnly()
  block(@Body() body: unknown) {
    return this.keys.update(parseBody(keyRefSchema, body).key, { blocked: true });
  }

  @Post('unblock')
  @ApiOperation({ summary: 'Unblock a key' })
  @ApiBody({ schema: openApiSchema(keyRefSchema) })
  @HttpCode(200)
  @AdminOnly()
  unblock(@Body() body: unknown) {
    return this.keys.update(parseBody(keyRefSchema, body).key, { blocked: false });
  }

  @Post('regenerate')
  @ApiOperation({ summary: 'New secret, same settings; the old one stops working' })
  @ApiBody({ schema: openApiSchema(regenerateKeySchema) })
  @HttpCode(200)
  @AdminOnly()
  regenerate(@Body() body: unknown) {
    const { key, new_key } = parseBody(regenerateKeySchema, body);
    if (!key) throw new SwitchyardError('invalid_request', "'key' is required", { param: 'key' });
    return this.keys.regenerate(key, new_key);
  }

  /** LiteLLM's path form: `POST /key/{key}/regenerate`. */
  @Post(':key/regenerate')
  @ApiOperation({ summary: 'Same as /key/regenerate, key in the path' })
  @HttpCode(200)
  @AdminOnly()
  regenerateByPath(@Param('key') key: string, @Body() body: unknown) {
    const { new_key } = parseBody(regenerateKeySchema, body ?? {});
    return this.keys.regenerate(key, new_key);
  }
}
