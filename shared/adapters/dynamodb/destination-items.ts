// The attributes every destination item carries, a subscription's (subscription-store.ts) and a
// sync's (sync-store.ts) alike: where and how to deliver, the custom header names, the sealed
// signing secret and header values, and the item's times and version. Their names are the ones
// stored since subscriptions came first; a sync's item uses the same.
import type { BodyFormat, DeliveryMethod } from '../../ports/delivery.ts';
import { num, optS, str, type Item } from './attributes.ts';

export interface DestinationFields {
  webhookUrl: string;
  webhookHttpMethod: DeliveryMethod;
  format: BodyFormat;
  headerNames: string[];
  headersCiphertext?: string | undefined;
  secretCiphertext: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export function destinationAttributes(destination: DestinationFields): Item {
  return {
    webhookUrl: { S: destination.webhookUrl },
    webhookHttpMethod: { S: destination.webhookHttpMethod },
    format: { S: destination.format },
    // Names only in the clear; values are sealed.
    headerNames: { L: destination.headerNames.map((name) => ({ S: name })) },
    ...optS('headersCiphertext', destination.headersCiphertext),
    secretCiphertext: { S: destination.secretCiphertext },
    enabled: { BOOL: destination.enabled },
    createdAt: { S: destination.createdAt },
    updatedAt: { S: destination.updatedAt },
    version: { N: String(destination.version) },
  };
}

export function itemToDestinationFields(item: Item): DestinationFields {
  const headersCiphertext = str(item, 'headersCiphertext');
  return {
    webhookUrl: str(item, 'webhookUrl') ?? '',
    webhookHttpMethod: str(item, 'webhookHttpMethod') === 'GET' ? 'GET' : 'POST',
    format: str(item, 'format') === 'form' ? 'form' : 'json',
    headerNames: (item.headerNames?.L ?? []).map((value) => value.S ?? ''),
    ...(headersCiphertext === undefined ? {} : { headersCiphertext }),
    secretCiphertext: str(item, 'secretCiphertext') ?? '',
    enabled: item.enabled?.BOOL ?? true,
    createdAt: str(item, 'createdAt') ?? '',
    updatedAt: str(item, 'updatedAt') ?? '',
    version: num(item, 'version') ?? 0,
  };
}
