import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A Responses API answer kept for `previous_response_id`, `GET` and `DELETE /v1/responses/{id}`
 * (`store`, true unless the client says otherwise): the input items it was given and the
 * Response object it answered. Tenant data: only the key that created it (and the master key)
 * can read it; it is never served after `expires_at` and removed by a periodic sweep.
 */
@Entity({ name: 'stored_responses' })
export class StoredResponseEntity {
  /** `resp_…`, the Response's id. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  /** The virtual key that created it (`virtual_keys.id`; deleting the key deletes its responses); null for the master key. */
  @Index('stored_responses_key_id')
  @Column({ name: 'key_id', type: 'uuid', nullable: true })
  keyId: string | null;

  /** The response this one continued: the conversation before it. */
  @Column({ name: 'previous_response_id', type: 'varchar', length: 64, nullable: true })
  previousResponseId: string | null;

  /** The input items of this call alone (not the conversation before it), each with an id. `json`, not `jsonb`: texts may hold any character. */
  @Column({ type: 'json' })
  input: unknown[];

  /** The Response object as answered. */
  @Column({ type: 'json' })
  response: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Index('stored_responses_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
