// PUT and DELETE /v4/pipelines/{id}/verification: how a pipeline's senders' signatures
// are verified. Secrets go in once, encrypted under the context {pipelineId}, and never come out:
// answers (and GET /v4/pipelines/{id}) show the provider, the generic provider's settings and how
// many secrets are active.
import * as v from 'valibot';
import type { Clock } from '../domain/clock.ts';
import type { PipelineRecord } from '../domain/ingest/records.ts';
import {
  encodeSecrets,
  HMAC_ALGORITHMS,
  MAX_PREFIX_LENGTH,
  MAX_SECRET_LENGTH,
  MAX_VERIFICATION_SECRETS,
  SIGNATURE_ENCODINGS,
  SIGNATURE_PROVIDERS,
  verificationProblem,
  type StoredVerification,
  type VerificationSettings,
} from '../domain/ingest/signatures/settings.ts';
import type { ManagementStore } from '../ports/management.ts';
import type { SecretCipher } from '../ports/delivery.ts';
import { ApiError } from './errors.ts';
import { reply, routeFor, type Route } from './router.ts';
import { PipelineIdParams } from './schemas.ts';

export interface VerificationDeps {
  store: Pick<ManagementStore, 'setVerification' | 'clearVerification'>;
  clock: Clock;
  /** Encrypts verification secrets under {pipelineId} (KMS on AWS, AES-GCM locally); absent = cannot set one. */
  verificationCipher?: SecretCipher | undefined;
}

export const SetVerificationBody = v.pipe(
  v.strictObject({
    provider: v.pipe(
      v.picklist(SIGNATURE_PROVIDERS, `must be one of ${SIGNATURE_PROVIDERS.join(', ')}`),
      v.description('Who signs the requests: see docs/inbound.md, "Verifying senders\' signatures".'),
    ),
    secrets: v.pipe(
      v.array(v.pipe(v.string('must be strings'), v.minLength(1, 'must not be empty'), v.maxLength(MAX_SECRET_LENGTH, `must be at most ${MAX_SECRET_LENGTH} characters`)), 'must be an array of strings'),
      v.minLength(1, 'must hold at least one secret'),
      v.maxLength(MAX_VERIFICATION_SECRETS, `must hold at most ${MAX_VERIFICATION_SECRETS} secrets (two during a rotation)`),
      v.description('The signing secret(s) as the sender shows them (Standard Webhooks: `whsec_…`). Stored encrypted, never shown again. Two verify at once during a rotation.'),
    ),
    header: v.pipe(v.optional(v.pipe(v.string(), v.maxLength(100, 'must be at most 100 characters'))), v.description('`hmac` only: the header that carries the signature.')),
    algorithm: v.pipe(v.optional(v.picklist(HMAC_ALGORITHMS, `must be one of ${HMAC_ALGORITHMS.join(', ')}`)), v.description('`hmac` only.')),
    encoding: v.pipe(v.optional(v.picklist(SIGNATURE_ENCODINGS, `must be one of ${SIGNATURE_ENCODINGS.join(', ')}`)), v.description('`hmac` only: how the digest is written.')),
    prefix: v.pipe(
      v.optional(v.pipe(v.string(), v.maxLength(MAX_PREFIX_LENGTH, `must be at most ${MAX_PREFIX_LENGTH} characters`))),
      v.description('`hmac` only: text before the digest in the header, e.g. `sha256=`.'),
    ),
  }),
  v.examples([
    { provider: 'github', secrets: ['It is a secret to everybody'] },
    { provider: 'hmac', secrets: ['s3cr3t'], header: 'X-Signature', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' },
  ]),
);

export const VerificationSchema = v.pipe(
  v.strictObject({
    provider: v.picklist(SIGNATURE_PROVIDERS),
    header: v.optional(v.string()),
    algorithm: v.optional(v.picklist(HMAC_ALGORITHMS)),
    encoding: v.optional(v.picklist(SIGNATURE_ENCODINGS)),
    prefix: v.optional(v.string()),
    secrets: v.pipe(v.number(), v.integer(), v.description('How many secrets are active (never the secrets).')),
  }),
  v.metadata({ ref: 'Verification' }),
  v.description('How the senders\' signatures are verified; null: they are not.'),
);

export type VerificationJson = v.InferOutput<typeof VerificationSchema>;

const PipelineVerificationSchema = v.pipe(
  v.strictObject({ pipeline_id: v.pipe(v.number(), v.integer(), v.minValue(1)), verification: v.nullable(VerificationSchema) }),
  v.metadata({ ref: 'PipelineVerification' }),
);

/** What the API shows of a stored verification: never a secret or its ciphertext. */
export function verificationJson(stored: StoredVerification | undefined): VerificationJson | null {
  if (stored === undefined) return null;
  return {
    provider: stored.provider,
    ...(stored.header === undefined ? {} : { header: stored.header }),
    ...(stored.algorithm === undefined ? {} : { algorithm: stored.algorithm }),
    ...(stored.encoding === undefined ? {} : { encoding: stored.encoding }),
    ...(stored.prefix === undefined ? {} : { prefix: stored.prefix }),
    secrets: stored.secretCount,
  };
}

const pipelineVerificationJson = (pipeline: PipelineRecord) => ({ pipeline_id: pipeline.id, verification: verificationJson(pipeline.verification) });

const route = routeFor<VerificationDeps>();
const params = PipelineIdParams;

export const verificationRoutes: Route<VerificationDeps>[] = [
  route({
    method: 'PUT',
    path: '/v4/pipelines/{id}/verification',
    operationId: 'setPipelineVerification',
    summary: "Verify the pipeline's senders' signatures",
    description:
      'Replaces any earlier setting. Requests whose signature does not verify are quarantined (`bad_signature`, `missing_signature`, `stale_timestamp`; ' +
      'a GET, whose data no signature covers, `unsigned_request`) ' +
      'and counted, never landed; the sender still gets 200. Takes effect within the processor\'s cache TTL (30 s by default).',
    tags: ['Pipelines'],
    params,
    body: SetVerificationBody,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The pipeline\'s verification (never the secrets).', schema: PipelineVerificationSchema } },
    handle: async ({ params: { id }, body, deps }) => {
      const settings: VerificationSettings = {
        provider: body.provider,
        ...(body.header === undefined ? {} : { header: body.header.toLowerCase() }),
        ...(body.algorithm === undefined ? {} : { algorithm: body.algorithm }),
        ...(body.encoding === undefined ? {} : { encoding: body.encoding }),
        ...(body.prefix === undefined ? {} : { prefix: body.prefix }),
      };
      const problem = verificationProblem(settings, body.secrets);
      if (problem !== undefined) throw new ApiError('INVALID_REQUEST', problem);
      if (deps.verificationCipher === undefined) throw new Error('no secret cipher configured (HOOKLAKE_SECRETS_KMS_KEY_ID or HOOKLAKE_LOCAL_SECRET_KEY)');
      const secretsCiphertext = await deps.verificationCipher.encrypt(encodeSecrets(body.secrets), String(id));
      const pipeline = await deps.store.setVerification(id, { ...settings, secretCount: body.secrets.length, secretsCiphertext });
      if (pipeline === undefined) throw new ApiError('NOT_FOUND', `pipeline ${id} does not exist`);
      return reply(200, pipelineVerificationJson(pipeline));
    },
  }),
  route({
    method: 'DELETE',
    path: '/v4/pipelines/{id}/verification',
    operationId: 'clearPipelineVerification',
    summary: 'Stop verifying signatures',
    description: 'Idempotent. The secrets are deleted. Takes effect within the processor\'s cache TTL.',
    tags: ['Pipelines'],
    params,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The pipeline, without verification.', schema: PipelineVerificationSchema } },
    handle: async ({ params: { id }, deps }) => {
      const pipeline = await deps.store.clearVerification(id);
      if (pipeline === undefined) throw new ApiError('NOT_FOUND', `pipeline ${id} does not exist`);
      return reply(200, pipelineVerificationJson(pipeline));
    },
  }),
];
