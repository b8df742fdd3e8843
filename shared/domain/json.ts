// Any value JSON can carry: parsed request bodies, event data, lake query results.
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
