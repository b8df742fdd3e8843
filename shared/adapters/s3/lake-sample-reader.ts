// S3 side of the schema sampler (shared/services/schema/): the lake reader's list and ranged read,
// plus a pipeline's day partitions in one delimited listing (a year of days is one page).
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { WEBHOOKS_PREFIX } from '../../domain/lake/objects.ts';
import type { LakeSampleReader } from '../../ports/schema.ts';
import { s3LakeReader } from './lake-reader.ts';

/** Pages of day prefixes listed at most (1,000 days each). */
const MAX_DAY_PAGES = 10;

export function s3LakeSampleReader(client: S3Client, bucket: string): LakeSampleReader {
  return {
    ...s3LakeReader(client, bucket),
    async days(pipelineId, fromDt) {
      const prefix = `${WEBHOOKS_PREFIX}pipeline_id=${pipelineId}/`;
      const days: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            Delimiter: '/',
            ...(token === undefined ? {} : { ContinuationToken: token }),
            // `dt=<fromDt>/` sorts after `dt=<fromDt>`: the day itself is listed.
            ...(fromDt === undefined || token !== undefined ? {} : { StartAfter: `${prefix}dt=${fromDt}` }),
          }),
        );
        for (const common of page.CommonPrefixes ?? []) {
          const match = /dt=(\d{4}-\d{2}-\d{2})\/$/.exec(common.Prefix ?? '');
          if (match !== null && (fromDt === undefined || match[1]! >= fromDt)) days.push(match[1]!);
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined && ++pages < MAX_DAY_PAGES);
      return days.sort();
    },
  };
}
