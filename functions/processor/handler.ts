// Lambda entry: SQS ingest batch → lake, with partial batch failures.
import { processorConfig } from '../../shared/config.ts';
import { createProcessorHandler, processorDeps } from './app.ts';

export const handler = createProcessorHandler(processorDeps(processorConfig(process.env)));
