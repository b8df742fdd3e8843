// CDK entry point (cdk.json: `node infra/app.ts`). Also importable: tests build the same app.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SettingsError } from './settings.ts';
import { HooklakeStack, propsFromContext } from './stack.ts';

export const STACK_NAME = 'HooklakeStack';

/**
 * The app: HooklakeStack configured from CDK context, checked by cdk-nag's AWS Solutions pack.
 * Findings that are not acknowledged in code fail `cdk synth` / `cdk deploy`.
 */
export function createApp(props: AppProps = {}): { app: App; stack: HooklakeStack } {
  const app = new App(props);
  const stack = new HooklakeStack(app, STACK_NAME, propsFromContext(app.node));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

/** The `context` block of cdk.json, which the CLI passes to the app; tests pass it themselves. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

// Run by the CDK CLI: the App synthesizes itself on exit (CDK_OUTDIR is set). The console is
// built first, so the api function's asset carries the current console (console/dist).
if (import.meta.main) {
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build-console.mjs', import.meta.url))], { stdio: 'inherit' });
  try {
    createApp();
  } catch (error) {
    // A setting's message is the whole story: no stack trace under it.
    if (!(error instanceof SettingsError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
