// One inbound request as the processor hands it to webhookReceivedEvent, with a body that trips
// every naive encoder: a big integer, a numeric key, an emoji, an escape and U+2028.
export const INPUT = {
  requestId: 'qwertyuiopasdfghjklz',
  ts: 1577015690.3118637,
  pipelineId: 7,
  key: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  format: 'json' as const,
  objectKey: 'webhooks/pipeline_id=7/dt=2019-12-22/abc.parquet',
};
export const BODY = '{"order":{"id":987,"total":12345678901234567890123,"10":"x"},"note":"😀 \\u00e9 \u2028"}';
