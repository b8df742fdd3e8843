// One page of a list, in the list's key order: what every store's and service's list returns.

export interface PageRequest<K = string> {
  /** At most this many items. */
  limit: number;
  /** Exclusive start: only items after the one with this key (the previous page's `next`). */
  after?: K | undefined;
}

export interface Page<T, K = string> {
  items: T[];
  /** The key to pass as `after` for the next page; absent on the last page. */
  next?: K | undefined;
}

/** The page of `limit` out of up to `limit + 1` items read: the extra one only says there is more. */
export function pageOf<T, K>(read: readonly T[], limit: number, keyOf: (item: T) => K): Page<T, K> {
  const items = read.slice(0, limit);
  return read.length > limit && items.length > 0 ? { items, next: keyOf(items.at(-1)!) } : { items };
}
