// Every console page, in navigation order. A new page is a module in this folder exporting a
// ConsolePage (path, title, optional nav label, render), added to this list.
import type { ConsolePage } from '../page.ts';
import { livePage } from './live.ts';
import { pipelinePage } from './pipeline.ts';
import { pipelinesPage } from './pipelines.ts';
import { subscriptionPage } from './subscription.ts';
import { subscriptionsPage } from './subscriptions.ts';
import { syncPage } from './sync.ts';
import { syncsPage } from './syncs.ts';
import { tokensPage } from './tokens.ts';

export const PAGES: ConsolePage[] = [pipelinesPage, pipelinePage, livePage, tokensPage, subscriptionsPage, subscriptionPage, syncsPage, syncPage];
