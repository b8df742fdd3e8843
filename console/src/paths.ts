// Every path the console builds, for an API call or one of its own links, is made by `path`:
// each interpolated value becomes exactly one path segment (or, after a `?`, one query value),
// percent-encoded. A value can never add a segment, end the path or start a query, so a crafted
// id cannot turn `DELETE /pipelines/4?/verification` into `DELETE /pipelines/4`.
//
// Encoding alone is not enough: API Gateway's HTTP API decodes the path before routing it
// (`%2F` becomes a separator, a decoded `?` ends the path), so a segment holding `/ ? # % \`,
// a control character, or nothing but dots is refused outright. Ids never hold them.
//
// `match` reads the console's own addresses the same way round: a route parameter is a value
// only when it has the shape of its id (shared/domain/id-patterns.ts).

declare const PATH: unique symbol;

/** A path built by `path` (or `fixedPath`): the only kind `api()`, `href()` and `navigate()` take. */
export interface Path {
  readonly [PATH]: true;
  readonly text: string;
}

export class UnsafePathValue extends Error {}

const made = (text: string) => ({ text }) as Path;
const isPath = (value: unknown): value is Path => typeof value === 'object' && value !== null && typeof (value as { text?: unknown }).text === 'string';

/** What a decoding gateway would read as path syntax, or what cannot be a segment at all. */
const UNSAFE_IN_SEGMENT = /[/?#%\\\u0000-\u001f\u007f]/u;

/** One path segment, percent-encoded; refuses what cannot travel as one segment. */
export function segment(value: string | number): string {
  const text = String(value);
  if (text === '' || text === '.' || text === '..' || UNSAFE_IN_SEGMENT.test(text) || text.length > 512) {
    throw new UnsafePathValue(`not usable as a path segment: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return encodeURIComponent(text);
}

/**
 * `` path`/pipelines/${id}/verification` ``, `` path`/pipelines/${id}/requests?cursor=${cursor}` ``:
 * the literal parts are the code's own; each value is a segment (see `segment`), or a query value
 * once a `?` has been written; a `Path` value (a base such as `/syncs/<id>`) is inserted as it is.
 */
export function path(literals: TemplateStringsArray, ...values: (string | number | Path)[]): Path {
  let text = literals[0]!;
  values.forEach((value, index) => {
    if (isPath(value)) text += value.text;
    else text += text.includes('?') ? encodeURIComponent(String(value)) : segment(value);
    text += literals[index + 1]!;
  });
  return made(text);
}

/** A path with no values, e.g. a navigation entry's `/pipelines`: lowercase words only. */
export function fixedPath(text: string): Path {
  if (!/^(\/[a-z0-9-]+)+$/.test(text)) throw new UnsafePathValue(`not a fixed console path: ${JSON.stringify(text)}`);
  return made(text);
}

export interface RouteMatch {
  params: Record<string, string>;
}

/**
 * `/pipelines/:id/live` against a path: the named segments, decoded, when each matches its shape in
 * `shapes` (every named segment must have one); otherwise undefined, as for any other mismatch.
 */
export function match(pattern: string, address: string, shapes: Readonly<Record<string, RegExp>> = {}): RouteMatch | undefined {
  const want = pattern.split('/').filter(Boolean);
  const have = address.split('/').filter(Boolean);
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const part = want[i]!;
    if (part.startsWith(':')) {
      const name = part.slice(1);
      const shape = shapes[name];
      if (shape === undefined) throw new Error(`the route ${pattern} names no shape for :${name}`);
      let value: string;
      try {
        value = decodeURIComponent(have[i]!);
      } catch {
        return undefined;
      }
      if (!shape.test(value)) return undefined;
      params[name] = value;
    } else if (part !== have[i]) return undefined;
  }
  return { params };
}
