// The public HTTP API: `ANY /` is the inbound webhook URL (unless the receiver has a function URL
// of its own: hooklake:frontDoor), `ANY /v4/{proxy+}` the management API and the console.
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface RouteThrottle {
  /** Steady-state requests per second. */
  rateLimit: number;
  /** Requests allowed in a burst above the rate. */
  burstLimit: number;
}

export interface HttpApiProps {
  /** The receiver behind `ANY /`; undefined when inbound webhooks use the receiver's function URL. */
  receiver: lambda.IFunction | undefined;
  api: lambda.IFunction;
  /** `ANY /`: inbound webhooks. */
  ingestThrottle: RouteThrottle;
  /** `ANY /v4/{proxy+}`: the management API, throttled apart so an ingest flood cannot lock admins out. */
  managementThrottle: RouteThrottle;
  logRetention: logs.RetentionDays;
}

const INGEST_PATH = '/';
const MANAGEMENT_PATH = '/v4/{proxy+}';
/** The console (static files and history routing), served by the api function. */
const CONSOLE_PATHS = ['/console', '/console/{proxy+}'];
/** Route keys (`<method> <path>`) of the two routes, as the stage's route settings name them. */
export const INGEST_ROUTE_KEY = `ANY ${INGEST_PATH}`;
export const MANAGEMENT_ROUTE_KEY = `ANY ${MANAGEMENT_PATH}`;

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
      description: props.receiver === undefined ? 'Hooklake: management API under /v4/, console under /console/' : 'Hooklake: inbound webhooks at /, management API under /v4/',
      // The stage is created below so it can carry throttling and access logs.
      createDefaultStage: false,
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      // Both routes carry their own limits (below); a route added without one gets the stricter.
      throttle: props.managementThrottle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });

    const inbound =
      props.receiver === undefined
        ? []
        : this.httpApi.addRoutes({
            path: INGEST_PATH,
            methods: [apigw.HttpMethod.ANY],
            integration: new HttpLambdaIntegration('ReceiverIntegration', props.receiver, {
              payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
            }),
          });
    const management = this.httpApi.addRoutes({
      path: MANAGEMENT_PATH,
      methods: [apigw.HttpMethod.ANY],
      integration: new HttpLambdaIntegration('ApiIntegration', props.api, {
        payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
      }),
    });

    // The console: GET only, under the management throttle (the stage default), same function.
    const consoleRoutes = CONSOLE_PATHS.flatMap((path) =>
      this.httpApi.addRoutes({
        path,
        methods: [apigw.HttpMethod.GET],
        integration: new HttpLambdaIntegration(`ConsoleIntegration${path === '/console' ? 'Root' : 'Proxy'}`, props.api, {
          payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
        }),
      }),
    );

    // Each route has its own token bucket, so requests to one never use up the other's. (The
    // account's regional API Gateway limit is shared by every route and API all the same.)
    const routeThrottle = (throttle: RouteThrottle) => ({
      ThrottlingRateLimit: throttle.rateLimit,
      ThrottlingBurstLimit: throttle.burstLimit,
    });
    const cfnStage = this.stage.node.defaultChild as apigw.CfnStage;
    cfnStage.routeSettings = {
      ...(inbound.length === 0 ? {} : { [INGEST_ROUTE_KEY]: routeThrottle(props.ingestThrottle) }),
      [MANAGEMENT_ROUTE_KEY]: routeThrottle(props.managementThrottle),
    };
    // Route settings may only name routes that exist when the stage is created or updated.
    for (const route of [...inbound, ...management, ...consoleRoutes]) cfnStage.node.addDependency(route);

    for (const route of inbound) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          "Inbound webhooks follow Kondado's protocol: the key and token are query parameters, every well-formed request is answered 200 at once, and the processor checks the token's SHA-256 against DynamoDB later; a request that fails is counted and quarantined, never landed. An authorizer would change the replies senders rely on.",
      });
    }
    for (const route of management) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'The api Lambda authenticates every /v4/ request before routing it (an admin bearer credential whose SHA-256 is compared in constant time with the ADMIN item in DynamoDB), except GET /v4/openapi.json: the published OpenAPI contract, public by design, the same document the repository holds as docs/openapi.json, with no data in it. The same code serves the local stack, which has no API Gateway authorizers.',
      });
    }

    for (const route of consoleRoutes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'The console is static files (HTML, JavaScript, CSS) with no data in them, public like any sign-in page; everything it shows comes from /v4/ calls, each authenticated by the api Lambda with the admin bearer credential the operator enters.',
      });
    }
  }

  /** Base URL of the deployment, ending in `/`. */
  get url(): string {
    return this.stage.url;
  }
}
