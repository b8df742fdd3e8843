// The public HTTP API: `ANY /` is the inbound webhook URL, `ANY /v4/{proxy+}` the management API.
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface HttpApiProps {
  receiver: lambda.IFunction;
  api: lambda.IFunction;
  /** Stage-wide steady-state requests per second. */
  rateLimit: number;
  /** Stage-wide burst. */
  burstLimit: number;
  logRetention: logs.RetentionDays;
}

// JSON access log without the query string: inbound ingest tokens travel in it
// (`?pipeline_id=N&key=...&token=...`), and `$context.path` carries only the path.
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    method: '$context.httpMethod',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    responseLength: '$context.responseLength',
    latencyMs: '$context.responseLatency',
    integrationError: '$context.integrationErrorMessage',
  }),
);

export class HooklakeHttpApi extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);

    this.httpApi = new apigw.HttpApi(this, 'Api', {
      description: 'Hooklake: inbound webhooks at /, management API under /v4/',
      // The stage is created below so it can carry throttling and access logs.
      createDefaultStage: false,
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });

    const inbound = this.httpApi.addRoutes({
      path: '/',
      methods: [apigw.HttpMethod.ANY],
      integration: new HttpLambdaIntegration('ReceiverIntegration', props.receiver, {
        payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    const management = this.httpApi.addRoutes({
      path: '/v4/{proxy+}',
      methods: [apigw.HttpMethod.ANY],
      integration: new HttpLambdaIntegration('ApiIntegration', props.api, {
        payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
      }),
    });

    for (const route of inbound) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Kondado-compatible senders cannot send credentials in headers: the ingest key and token are query parameters, checked against their SHA-256 in DynamoDB by the processor; unauthenticated requests are quarantined, never landed.',
      });
    }
    for (const route of management) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'The api Lambda authenticates every /v4/ request itself with an admin bearer credential whose SHA-256 is stored in DynamoDB (constant-time compare); the same code serves the local stack, which has no API Gateway authorizers.',
      });
    }
  }

  /** Base URL of the deployment, ending in `/`. */
  get url(): string {
    return this.stage.url;
  }
}
