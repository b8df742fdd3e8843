// Every call of the console: the /v4/ API with the admin credential as a bearer token. The
// credential lives in sessionStorage only (gone when the tab closes; never in a URL, a log or
// localStorage). Every path is a `Path` (paths.ts): values in it are encoded segments.
import type { Path } from './paths.ts';

const CREDENTIAL_KEY = 'hooklake.adminCredential';

export function credential(): string | null {
  return sessionStorage.getItem(CREDENTIAL_KEY);
}

export function signIn(value: string): void {
  sessionStorage.setItem(CREDENTIAL_KEY, value);
}

export function signOut(): void {
  sessionStorage.removeItem(CREDENTIAL_KEY);
}

/** The origin and path prefix the console is served under (`<base>/console/…`). */
export function basePath(): string {
  const index = location.pathname.indexOf('/console');
  return index <= 0 ? '' : location.pathname.slice(0, index);
}

export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const listeners = new Set<() => void>();
/** Called when the API refuses the credential (401): the app goes back to the sign-in form. */
export function onUnauthorized(listener: () => void): void {
  listeners.add(listener);
}

export async function api<T>(method: string, path: Path, body?: unknown): Promise<T> {
  const token = credential();
  const response = await fetch(`${basePath()}/v4${path.text}`, {
    method,
    headers: {
      authorization: `Bearer ${token ?? ''}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    credentials: 'omit',
    cache: 'no-store',
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const error = json as { error?: string; message?: string } | undefined;
    if (response.status === 401) listeners.forEach((listener) => listener());
    throw new ApiFailure(response.status, error?.error ?? 'HTTP_ERROR', error?.message ?? `HTTP ${response.status}`);
  }
  return json as T;
}

export const errorText = (error: unknown): string =>
  error instanceof ApiFailure ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
