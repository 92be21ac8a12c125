/**
 * What `DELETE /v1/responses/{id}` answers: the OpenAI reference's example
 * (`{"id": "resp_…", "object": "response", "deleted": true}`; the spec gives it no schema).
 */
export const RESPONSE_DELETED_SHAPE = {
  type: 'object',
  required: ['id', 'object', 'deleted'],
  properties: { id: { type: 'string', pattern: '^resp_' }, object: { const: 'response' }, deleted: { const: true } },
};
