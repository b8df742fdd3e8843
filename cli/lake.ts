// hooklake lake compact [--pipeline N] [--older-than DURATION] [--grace DURATION] [--bucket B]
//
// Runs the lake's hourly compaction here, with the same code the deployed sync function runs on its
// schedule (shared/services/lake/compaction.ts): against the local stack's bucket, or with --bucket
// against a deployment's, with your AWS credentials (its objects are downloaded here and the
// compacted ones uploaded: run it in the bucket's region, e.g. CloudShell, to pay no transfer).
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { duckDbHourMerger, s3ObjectFiles } from '../shared/adapters/duckdb/hour-merger.ts';
import { s3LakeObjects } from '../shared/adapters/s3/lake-objects.ts';
import { ENV, lakeSettingsFromEnv } from '../shared/config.ts';
import { systemClock } from '../shared/domain/clock.ts';
import { formatDurationMs, parseDurationMs } from '../shared/domain/duration.ts';
import { DEFAULT_SETTLE_MS, type CompactionStats } from '../shared/domain/lake/compaction.ts';
import { compactLake } from '../shared/services/lake/compaction.ts';
import { positiveInt } from './args.ts';
import { CliError, type CliIo } from './context.ts';
import { queryFailure, resolveLake } from './query.ts';
import { dataDir } from './target.ts';

interface CompactOptions {
  pipeline?: number;
  olderThan?: number;
  grace?: number;
  bucket?: string;
  region?: string;
}

function duration(value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 0s, 90s, 15m, 1h or 2d.');
  return ms;
}

/** The stats as the command prints them (snake_case, like the API). */
export function compactionJson(stats: CompactionStats, settings: { olderThan: string; grace: string }) {
  return {
    partitions: stats.partitions,
    hours: stats.hours,
    objects_read: stats.objectsRead,
    objects_written: stats.objectsWritten,
    rows: stats.rows,
    bytes_before: stats.bytesBefore,
    bytes_after: stats.bytesAfter,
    objects_removed: stats.objectsRemoved,
    objects_skipped: stats.objectsSkipped,
    older_than: settings.olderThan,
    grace: settings.grace,
  };
}

export function registerLake(program: Command, io: CliIo): void {
  const lake = program.command('lake').description("maintain the lake (the deployment compacts it on a schedule)");
  lake
    .command('compact')
    .description(
      'compact the lake by UTC hour: each hour\'s objects into one sorted ZSTD Parquet object with statistics; ' +
        'prints JSON (objects read and written, rows, bytes before and after). Default: whole hours that ended ' +
        'at least 15 minutes ago; replaced objects are removed after the grace period (a later pass removes them)',
    )
    .option('--pipeline <id>', 'only this pipeline', positiveInt)
    .option('--older-than <duration>', 'compact objects written at least this long ago, whatever hour they are in (0s: everything so far)', duration)
    .option('--grace <duration>', `remove replaced objects once their compaction is this old (0s: at once; default $${ENV.compactionGraceSeconds} or 1h)`, duration)
    .option('--bucket <bucket>', "a deployment's lake bucket, with your AWS credentials (default: the local stack's)")
    .option('--region <region>', 'the bucket region (default: $AWS_REGION)')
    .action(async (options: CompactOptions) => {
      let settings;
      try {
        settings = lakeSettingsFromEnv(io.env);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      const source = resolveLake(io, options);
      const graceMs = options.grace ?? settings.compaction.graceMs;
      try {
        const stats = await compactLake(
          {
            lake: s3LakeObjects(source.s3, source.bucket),
            merger: duckDbHourMerger({
              objects: s3ObjectFiles(source.s3, source.bucket),
              workDir: join(dataDir(io), 'compaction-work'),
              maxInputBytes: settings.compaction.workLimitBytes,
              limitSetting: ENV.compactionWorkLimit,
              downloadConcurrency: settings.mirror.downloadConcurrency,
            }),
            clock: systemClock,
          },
          { pipelineId: options.pipeline },
          {
            selection: options.olderThan === undefined ? { kind: 'settled', settleMs: DEFAULT_SETTLE_MS } : { kind: 'age', olderThanMs: options.olderThan },
            graceMs,
          },
        ).catch((error: unknown) => {
          throw new CliError(queryFailure(error, source.bucket), { cause: error });
        });
        const olderThan = options.olderThan === undefined ? `whole hours ended ${formatDurationMs(DEFAULT_SETTLE_MS)} ago` : formatDurationMs(options.olderThan);
        io.stdout(`${JSON.stringify(compactionJson(stats, { olderThan, grace: formatDurationMs(graceMs) }), null, 2)}\n`);
      } finally {
        source.s3.destroy();
      }
    });
}
