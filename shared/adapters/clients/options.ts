// Where every AWS SDK v3 client is made (one file per service, so a bundle loads only the SDKs it
// uses, when it uses them): the region, and on an emulator (the local stack, the tests) its
// endpoint with static test credentials.
import type { AwsConfig } from '../../config.ts';

/** Static credentials for the emulators, which check none. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'hooklake', secretAccessKey: 'hooklake' };

export function clientOptions(aws: AwsConfig, endpoint: string | undefined) {
  return endpoint === undefined
    ? { region: aws.region }
    : { region: aws.region, endpoint, credentials: EMULATOR_CREDENTIALS };
}
