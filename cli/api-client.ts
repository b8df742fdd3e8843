// A thin fetch client for the management API: JSON in and out, errors as one-line CliErrors.
import { CliError } from './context.ts';
import type { ApiTarget } from './target.ts';

export interface ApiClient {
  target: ApiTarget;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
}

export function apiClient(target: ApiTarget, fetchImpl: typeof fetch = fetch): ApiClient {
  return {
    target,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const url = `${target.baseUrl}${path}`;
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method,
          headers: {
            authorization: `Bearer ${target.credential}`,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const reason = cause?.code ?? cause?.message ?? (error as Error).message;
        const hint = target.local ? ' (is the local stack running? start it with `npm start`)' : '';
        throw new CliError(`cannot reach ${target.baseUrl}: ${reason}${hint}`, { cause: error });
      }
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (!response.ok) {
        const problem = parsed as { error?: unknown; message?: unknown } | undefined;
        if (typeof problem?.error === 'string') {
          const message = typeof problem.message === 'string' ? problem.message : problem.error;
          throw new CliError(`${message} (${problem.error}, HTTP ${response.status})`);
        }
        throw new CliError(`${method} ${path} failed: HTTP ${response.status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`);
      }
      if (parsed === undefined && text !== '') {
        throw new CliError(`${method} ${path}: the API answered with something that is not JSON`);
      }
      return parsed as T;
    },
  };
}
