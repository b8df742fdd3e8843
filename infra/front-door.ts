// Where inbound webhooks reach the receiver (the hooklake:frontDoor setting), shared by the CDK
// stack and the local stack without pulling CDK into the latter.
//   apiGateway   the HTTP API's `ANY /` route, beside /v4/ and the console (throttled per route)
//   functionUrl  a Lambda function URL of the receiver (no API Gateway charge; bounded only by a
//                concurrency reservation); /v4/ and the console stay on the HTTP API
export const FRONT_DOORS = ['apiGateway', 'functionUrl'] as const;
export type FrontDoor = (typeof FRONT_DOORS)[number];
