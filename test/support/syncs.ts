// Helpers of the sync tests: a source of customers landed through the inbound path, and the query
// that reads their latest state from the lake.
import type { FieldMapping } from '../../shared/domain/syncs/definition.ts';
import { eventually, postJson, type TestStack } from './stack.ts';

export interface Customer {
  customer_id: number;
  first_name?: string;
  email?: string;
  active?: number;
  /** A later webhook saying the customer is gone: it vanishes from the query's result. */
  deleted?: boolean;
}

/** Posts webhooks to a pipeline and waits until the lake holds `expectedTotal` rows of it. */
export async function landCustomers(stack: TestStack, target: { pipelineId: number; key: string; token: string }, customers: Customer[], expectedTotal: number) {
  for (const customer of customers) {
    const reply = await postJson(stack.webhookUrl(target.pipelineId, target.key, target.token), JSON.stringify(customer));
    if (reply.status !== 200) throw new Error(`webhook refused: ${reply.status}`);
    await new Promise((resolve) => setTimeout(resolve, 2)); // distinct request timestamps: "latest" is well defined
  }
  await eventually(
    async () => ((await stack.query(`select count(*) as n from webhooks where pipeline_id = ${target.pipelineId}`))[0]!.n === expectedTotal ? true : undefined),
    20_000,
    `${expectedTotal} rows in the lake`,
  );
}

/** Each customer's latest webhook, without the deleted ones, in customer order. */
export function latestCustomersSql(pipelineId: number): string {
  return `
    select customer_id, first_name, email, active from (
      select *, row_number() over (partition by customer_id order by __kdd_request_unix_timestamp desc, __kdd_request_id desc) as latest
      from (
        select cast(json_extract(__kdd_request_body, '$.customer_id') as bigint) as customer_id,
               json_extract_string(__kdd_request_body, '$.first_name') as first_name,
               json_extract_string(__kdd_request_body, '$.email') as email,
               cast(json_extract(__kdd_request_body, '$.active') as integer) as active,
               coalesce(cast(json_extract(__kdd_request_body, '$.deleted') as boolean), false) as deleted,
               __kdd_request_unix_timestamp, __kdd_request_id
        from webhooks where pipeline_id = ${pipelineId}))
    where latest = 1 and not deleted
    order by customer_id;`;
}

/** valmi's example mapping (seed 004). */
export const CUSTOMER_MAPPING: FieldMapping[] = [
  { source: 'customer_id', destination: 'customer_id' },
  { source: 'first_name', destination: 'my_first_name' },
  { source: 'email', destination: 'email' },
  { source: 'active', destination: 'active' },
];
