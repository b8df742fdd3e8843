// The api's Glue view catalog (typed tables' Athena views): the Glue SDK is most of what this
// module weighs and only the schema refresh publishes views, so the Lambda asset carries it as a
// file of its own (glue-catalog.mjs beside index.mjs, HooklakeFunction's `lazyModules`), imported
// at the first publication of an instance; the local stack and tests import this source.
import { glueClient } from '../../shared/adapters/clients/glue.ts';
import { glueViewCatalog } from '../../shared/adapters/glue/view-catalog.ts';
import type { AwsConfig } from '../../shared/config.ts';
import type { ViewCatalog } from '../../shared/ports/schema.ts';

export function viewCatalog(aws: AwsConfig, databaseName: string): ViewCatalog {
  return glueViewCatalog(glueClient(aws), databaseName);
}
