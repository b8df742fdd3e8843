// An in-memory ManagementStore with the DynamoDB store's behaviour, for unit tests.
import { newAdminCredential, newIngestKey, newIngestToken, sha256Hex } from '../../domain/credentials.ts';
import type { PipelineRecord, RejectionCounts, TokenRecord } from '../../domain/ingest/records.ts';
import { UnknownPipelinesError, type ManagementStore, type TokenInfo } from '../../ports/management.ts';
import { pageOf } from '../../ports/page.ts';
import type { AdminRecord } from '../../domain/credentials.ts';

export interface MemoryManagementStore extends ManagementStore {
  pipelines: Map<number, PipelineRecord>;
  tokens: Map<string, TokenRecord>;
  admins: Map<string, AdminRecord>;
  rejections: RejectionCounts[];
}

const info = ({ tokenSha256: _hash, ...rest }: TokenRecord): TokenInfo => structuredClone(rest);

export function memoryManagementStore(): MemoryManagementStore {
  let counter = 0;
  const pipelines = new Map<number, PipelineRecord>();
  const tokens = new Map<string, TokenRecord>();
  const admins = new Map<string, AdminRecord>();
  const rejections: RejectionCounts[] = [];
  return {
    pipelines,
    tokens,
    admins,
    rejections,
    async createPipeline({ name, createdAt }) {
      const record = { id: ++counter, name, createdAt };
      pipelines.set(record.id, record);
      return { ...record };
    },
    async listPipelines({ limit, after }) {
      const sorted = [...pipelines.values()].sort((a, b) => a.id - b.id).filter((p) => after === undefined || p.id > after);
      return pageOf(sorted.slice(0, limit + 1).map((p) => ({ ...p })), limit, (p) => p.id);
    },
    async getPipeline(id) {
      const record = pipelines.get(id);
      return record && { ...record };
    },
    async deletePipeline(id) {
      const record = pipelines.get(id);
      pipelines.delete(id);
      return record;
    },
    async setVerification(id, verification) {
      const record = pipelines.get(id);
      if (record === undefined) return undefined;
      record.verification = { ...verification };
      return structuredClone(record);
    },
    async clearVerification(id) {
      const record = pipelines.get(id);
      if (record === undefined) return undefined;
      delete record.verification;
      return structuredClone(record);
    },
    async createToken({ name, pipelines: scope, createdAt }) {
      if (scope !== undefined) {
        const missing = [...new Set(scope)].filter((id) => !pipelines.has(id)).sort((a, b) => a - b);
        if (missing.length > 0) throw new UnknownPipelinesError(missing);
      }
      const token = newIngestToken();
      const record: TokenRecord = { key: newIngestKey(), name, tokenSha256: sha256Hex(token), pipelines: scope, createdAt };
      tokens.set(record.key, record);
      return { ...info(record), token };
    },
    async listTokens({ limit, after }) {
      const sorted = [...tokens.values()].sort((a, b) => (a.key < b.key ? -1 : 1)).filter((t) => after === undefined || t.key > after);
      return pageOf(sorted.slice(0, limit + 1).map(info), limit, (t) => t.key);
    },
    async getToken(key) {
      const record = tokens.get(key);
      return record && info(record);
    },
    async revokeToken(key, revokedAt) {
      const record = tokens.get(key);
      if (record === undefined) return undefined;
      record.revokedAt ??= revokedAt;
      return info(record);
    },
    async createAdmin({ name, createdAt }) {
      const { id, credential, sha256 } = newAdminCredential();
      const record = { id, name, tokenSha256: sha256, createdAt };
      admins.set(id, record);
      return { ...record, credential };
    },
    async listAdmins({ limit, after }) {
      const sorted = [...admins.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).filter((a) => after === undefined || a.id > after);
      return pageOf(sorted.slice(0, limit + 1).map((a) => ({ ...a })), limit, (a) => a.id);
    },
    async findAdmin(id) {
      return admins.get(id);
    },
    async revokeAdmin(id, revokedAt) {
      const record = admins.get(id);
      if (record === undefined) return undefined;
      record.revokedAt ??= revokedAt;
      return { ...record };
    },
    async rejectionCounts(pipelineId, sinceDt) {
      return rejections
        .filter((r) => r.pipelineId === pipelineId && r.dt >= sinceDt)
        .sort((a, b) => (a.dt < b.dt ? 1 : -1));
    },
  };
}
