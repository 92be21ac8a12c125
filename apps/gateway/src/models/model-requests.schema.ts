import { z } from 'zod';
import { containsNul, storedText } from '../http/stored-values';

const modelName = storedText().pipe(z.string().trim().min(1, 'must not be empty').max(255));
const modelId = storedText().pipe(z.string().trim().min(1, 'must not be empty').max(128));
const NUL_FREE = [(value: object) => !containsNul(value), 'must not contain NUL characters'] as const;
// Each field is checked in depth by the same parser as config.yaml's model_list.
const params = z.looseObject({}, { error: 'must be an object' }).refine(...NUL_FREE);

/** LiteLLM's `POST /model/new`: one `model_list` entry. */
export const newModelSchema = z.looseObject({
  model_name: modelName,
  litellm_params: z
    .looseObject({ model: z.string({ error: 'must be a string' }).min(1, 'must not be empty') }, { error: 'must be an object' })
    .refine(...NUL_FREE),
  model_info: z
    .looseObject({ id: modelId.optional() }, { error: 'must be an object' })
    .refine(...NUL_FREE)
    .optional(),
});
export type NewModelRequest = z.infer<typeof newModelSchema>;

/** LiteLLM's `POST /model/update`: the id in `model_info.id` (or `id`); fields not sent stay as they are. */
export const updateModelSchema = z
  .looseObject({
    id: modelId.optional(),
    model_name: modelName.optional(),
    litellm_params: params.optional(),
    model_info: z
      .looseObject({ id: modelId.optional() }, { error: 'must be an object' })
      .refine(...NUL_FREE)
      .optional(),
  })
  .refine((body) => body.id ?? body.model_info?.id, { message: "'model_info.id' is required", path: ['model_info', 'id'] });
export type UpdateModelRequest = z.infer<typeof updateModelSchema>;

export const deleteModelSchema = z.looseObject({ id: modelId });
