// The schema store in memory (unit tests of the refresh, benchmarks): the DynamoDB store's rules.
import type { SchemaStore, StoredSchema } from '../../ports/schema.ts';

export function memorySchemaStore(): SchemaStore & { items: Map<number, StoredSchema> } {
  const items = new Map<number, StoredSchema>();
  const copy = (stored: StoredSchema): StoredSchema => structuredClone(stored);
  return {
    items,
    async get(pipelineId) {
      const stored = items.get(pipelineId);
      return stored === undefined ? undefined : copy(stored);
    },
    async list() {
      return [...items.values()].map(({ schema }) => ({ pipelineId: schema.pipelineId, version: schema.version, refreshedAt: schema.refreshedAt }));
    },
    async put(schema, expectedRevision, published) {
      if ((items.get(schema.pipelineId)?.revision ?? 0) !== expectedRevision) return false;
      items.set(schema.pipelineId, { schema: structuredClone(schema), revision: expectedRevision + 1, published: { ...published } });
      return true;
    },
    async markPublished(pipelineId, published) {
      const stored = items.get(pipelineId);
      if (stored !== undefined && stored.schema.version === published.version) stored.published = { ...published };
    },
  };
}
