// One Lambda of Hooklake: bundled handler, its own role and log group, nothing else.
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { type CfnElement, Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NodejsFunction, OutputFormat, LogLevel } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { encodePlan, type AssetFilesPlan } from '../bundling/asset-files.ts';
import { LAMBDA_BUNDLE_OPTIONS, type LazyModule } from '../bundling/esbuild-options.ts';

/** Repository root, found from this file so synth works from any working directory. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface HooklakeFunctionProps {
  /** Folder under functions/, e.g. `receiver`; the entry is `functions/<name>/handler.ts`. */
  name: string;
  description: string;
  memorySize: number;
  timeout: Duration;
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  tracing: boolean;
  /**
   * Concurrency set aside for this function alone: others cannot starve it of the account's
   * pool, and it can never run more instances than this. Undefined = none reserved.
   */
  reservedConcurrentExecutions?: number;
  /** Default arm64. A function with a native module ships the binding built for this architecture. */
  architecture?: lambda.Architecture;
  /**
   * Packages left out of the bundle and shipped beside it in the asset's node_modules (native
   * modules: esbuild cannot bundle a `.node` binary), each at its package-lock.json version: the
   * copy npm installed here when it is that version, else the registry tarball verified against
   * the lock file's integrity (a binding for the Lambda's Linux is not installed on macOS,
   * Windows or another architecture). Registry downloads are cached, so synth is offline after the first.
   */
  nativeModules?: readonly string[];
  /** Directories copied into the asset beside the bundle (`to` relative to it), e.g. the console's files. */
  extraAssets?: readonly { from: string; to: string }[];
  /**
   * Modules built into files of their own beside index.mjs, for code the function imports only
   * when a request needs it: CDK's bundling writes one file (no code splitting), so a dynamic
   * import would otherwise be inlined, and loaded with everything else at every cold start.
   */
  lazyModules?: readonly LazyModule[];
  /** /tmp size in MiB (512–10240). Default 512. */
  ephemeralStorageMiB?: number;
  /**
   * JSON logs with Lambda's system logs at WARN: no START/END/REPORT lines per invocation (their
   * figures stay in CloudWatch metrics); the handlers' own JSON lines keep their `level`.
   */
  quietPlatformLogs?: boolean;
}

export class HooklakeFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HooklakeFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention });
    const packages = [...(props.nativeModules ?? [])];
    const copies = [...(props.extraAssets ?? [])];
    const bundles = (props.lazyModules ?? []).map(({ entry, file }) => ({ entry: path.join(REPO_ROOT, entry), file }));

    // An own role instead of AWSLambdaBasicExecutionRole: that managed policy writes to any
    // log group (Resource "*"); this one may only write to the function's own group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Hooklake ${props.name} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: path.join(REPO_ROOT, 'functions', props.name, 'handler.ts'),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      ...(props.ephemeralStorageMiB === undefined ? {} : { ephemeralStorageSize: Size.mebibytes(props.ephemeralStorageMiB) }),
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      ...(props.quietPlatformLogs === true
        ? { loggingFormat: lambda.LoggingFormat.JSON, systemLogLevelV2: lambda.SystemLogLevel.WARN, applicationLogLevelV2: lambda.ApplicationLogLevel.INFO }
        : {}),
      tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      environment: props.environment,
      ...(props.reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      // The settings of infra/bundling/esbuild-options.ts, in NodejsFunction's terms.
      bundling: {
        format: OutputFormat.ESM,
        target: LAMBDA_BUNDLE_OPTIONS.target,
        mainFields: [...LAMBDA_BUNDLE_OPTIONS.mainFields],
        banner: LAMBDA_BUNDLE_OPTIONS.banner.js,
        minify: LAMBDA_BUNDLE_OPTIONS.minify,
        sourceMap: LAMBDA_BUNDLE_OPTIONS.sourcemap,
        logLevel: LogLevel.WARNING,
        // The AWS SDK v3 is bundled, not taken from the runtime. nodejs24.x ships an SDK v3,
        // but its version is whatever AWS last rolled out; bundling pins the exact version in
        // package-lock.json that the unit, emulator (fauxqs, dynalite) and e2e tests ran
        // against, so a runtime update cannot change behaviour (checksums, retries,
        // middleware) under a deployed function. The cost, a larger zip, is small: minified
        // ESM with tree-shaking keeps only the commands the handler uses.
        bundleAwsSDK: true,
        externalModules: [...(props.nativeModules ?? [])],
        ...(copies.length === 0 && packages.length === 0 && bundles.length === 0
          ? {}
          : {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (_inputDir: string, outputDir: string) => [
                  assetFilesCommand({ outputDir, copies, packages, bundles, external: [...(props.nativeModules ?? [])], ...packageSources() }),
                ],
              },
            }),
      },
    });

    if (props.tracing) {
      // X-Ray's PutTraceSegments/PutTelemetryRecords have no resource-level permissions.
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray tracing is on: xray:PutTraceSegments and xray:PutTelemetryRecords support only Resource "*".',
      });
    }
  }

  /** Adds one exact-action, exact-resource statement (with its conditions, if any) to the function's role. */
  allow(actions: string[], resources: string[], conditions?: Record<string, Record<string, string | string[]>>): void {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources, ...(conditions === undefined ? {} : { conditions }) }));
  }

  /**
   * Records why a `<bucket>/<prefix>*` object ARN in this role's policy is acceptable: cdk-nag
   * flags any `*` in a resource, but an S3 key prefix cannot be written without one.
   */
  acknowledgePrefixWildcard(resourceFinding: string, reason: string): void {
    Validations.of(this.role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resourceFinding}]`, reason });
  }
}

/**
 * Where shipped packages come from: the repository's node_modules, and the cache of registry
 * downloads under node_modules/.cache (`npm ci` starts it afresh). HOOKLAKE_BUNDLING_NODE_MODULES
 * and HOOKLAKE_PACKAGE_CACHE_DIR name others (a test hides the host's binding and starts an empty
 * cache, so the registry path runs).
 */
function packageSources(): { lockFile: string; hostNodeModules: string; cacheDir: string } {
  return {
    lockFile: path.join(REPO_ROOT, 'package-lock.json'),
    hostNodeModules: process.env.HOOKLAKE_BUNDLING_NODE_MODULES ?? path.join(REPO_ROOT, 'node_modules'),
    cacheDir: process.env.HOOKLAKE_PACKAGE_CACHE_DIR ?? path.join(REPO_ROOT, 'node_modules', '.cache', 'hooklake', 'packages'),
  };
}

/**
 * The hook's one command: this Node runs infra/bundling/asset-files.ts with the plan as one
 * base64url argument. CDK runs hook commands with `bash -c` (`cmd /c` on Windows), so the command
 * holds only two quoted paths and a token no shell interprets.
 */
function assetFilesCommand(plan: AssetFilesPlan): string {
  const script = path.join(REPO_ROOT, 'infra', 'bundling', 'asset-files.ts');
  const command = `"${process.execPath}" "${script}" ${encodePlan(plan)}`;
  // cmd /c strips the first and last quote of a line that has more than two.
  return process.platform === 'win32' ? `"${command}"` : command;
}

/** The cdk-nag spelling of `<bucket ARN>/<prefix>*`, e.g. `<LakeBucket1234.Arn>/claims/*`. */
export function nagObjectArn(scope: Construct, bucketResource: Construct, keyPattern: string): string {
  const cfn = bucketResource.node.defaultChild;
  if (!cfn) throw new Error(`${bucketResource.node.path} has no CloudFormation resource`);
  const logicalId = Stack.of(scope).getLogicalId(cfn as CfnElement);
  return `<${logicalId}.Arn>/${keyPattern}`;
}
