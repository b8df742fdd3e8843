// Subscription changes told to every destination directory of this process that reads the same
// table, at once: the local stack runs API, processor and fan-out in one process (the fan-out and
// processor possibly in a worker thread), so a subscription created through the API is matched by
// the very next event rather than after the directories' TTL. Other threads hear of it through a
// BroadcastChannel (it never receives its own messages, and is unref'd so it keeps no process
// alive). Across Lambda instances there is no such signal: a change shows within the TTL.
import { BroadcastChannel } from 'node:worker_threads';
import type { AwsConfig } from '../../config.ts';

const listeners = new Map<string, Set<() => void>>();

function notifyLocal(scope: string): void {
  for (const listener of listeners.get(scope) ?? []) listener();
}

let channel: BroadcastChannel | undefined;
function crossThreadChannel(): BroadcastChannel {
  if (channel === undefined) {
    channel = new BroadcastChannel('hooklake:subscriptions-changed');
    channel.onmessage = (message) => notifyLocal(String((message as { data: unknown }).data));
    channel.unref();
  }
  return channel;
}

export interface SubscriptionChanges {
  /** Tells every listener of this process (all threads) reading the same table. */
  notify(): void;
  /** Calls `listener` on every change; returns the call that stops it. */
  listen(listener: () => void): () => void;
}

/** The changes of the subscriptions in one table (scope: its endpoint or region, and its name). */
export function subscriptionChanges(config: { aws: AwsConfig; tableName: string }): SubscriptionChanges {
  const scope = `${config.aws.endpoints.dynamodb ?? config.aws.region}|${config.tableName}`;
  return {
    notify() {
      notifyLocal(scope);
      crossThreadChannel().postMessage(scope);
    },
    listen(listener) {
      let scoped = listeners.get(scope);
      if (scoped === undefined) listeners.set(scope, (scoped = new Set()));
      scoped.add(listener);
      crossThreadChannel();
      return () => scoped.delete(listener);
    },
  };
}
