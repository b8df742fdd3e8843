// Publishes a pipeline's typed view to the Glue database Athena reads (schema-views.ts builds the
// table input): UpdateTable, or CreateTable the first time. Table versions are not archived
// (SkipArchive): a view is regenerated from its schema, and Glue keeps at most 100,000 versions.
import { CreateTableCommand, UpdateTableCommand, type GlueClient } from '@aws-sdk/client-glue';
import { glueViewTableInput } from '../../domain/lake/schema-views.ts';
import type { ViewCatalog } from '../../ports/schema.ts';

const isNotFound = (error: unknown) => (error as { name?: unknown } | null)?.name === 'EntityNotFoundException';
const isAlreadyThere = (error: unknown) => (error as { name?: unknown } | null)?.name === 'AlreadyExistsException';

export function glueViewCatalog(client: GlueClient, databaseName: string): ViewCatalog {
  return {
    async publish(schema) {
      const TableInput = glueViewTableInput(schema, databaseName);
      try {
        await client.send(new UpdateTableCommand({ DatabaseName: databaseName, TableInput, SkipArchive: true }));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        try {
          await client.send(new CreateTableCommand({ DatabaseName: databaseName, TableInput }));
        } catch (createError) {
          // Created meanwhile by another refresh: update it to this schema.
          if (!isAlreadyThere(createError)) throw createError;
          await client.send(new UpdateTableCommand({ DatabaseName: databaseName, TableInput, SkipArchive: true }));
        }
      }
    },
  };
}
