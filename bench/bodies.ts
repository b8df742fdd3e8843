// Request bodies the benchmarks send: a ~300-byte order event, a ~2 KB one, and a Kommo
// (amoCRM) webhook as the form-urlencoded body Kommo posts.

/** A ~300-byte order event, the size of a typical small webhook. */
export const BODY_300B = JSON.stringify({
  event: 'order.created',
  order: {
    id: 'ORD-2026-000123',
    customer: { id: 98765, email: 'maria.silva@example.com', name: 'Maria Silva' },
    items: [
      { sku: 'SKU-1001', qty: 2, price: 49.9 },
      { sku: 'SKU-2002', qty: 1, price: 129.0 },
    ],
    total: 228.8,
    currency: 'BRL',
    status: 'paid',
  },
  created_at: '2026-11-23T12:00:00Z',
  source: 'shop-br-01',
});

/** A ~2 KB event (an order with more lines and addresses); `seed` varies the content. */
export function body2k(seed = 0): string {
  const items = Array.from({ length: 12 }, (_, i) => ({
    sku: `SKU-${1000 + ((seed + i) % 9000)}`,
    name: `Product number ${i} of order ${seed}`,
    qty: 1 + ((seed + i) % 5),
    price: Math.round(((seed * 7 + i * 13) % 50000) + 99) / 100,
  }));
  const address = {
    street: 'Rua das Laranjeiras, 1234, apto 56',
    district: 'Laranjeiras',
    city: 'Rio de Janeiro',
    state: 'RJ',
    zip: '22240-006',
    country: 'BR',
  };
  const order = {
    event: 'order.updated',
    order: {
      id: `ORD-2026-${String(seed).padStart(6, '0')}`,
      customer: { id: 98765 + seed, email: `customer${seed}@example.com`, name: 'Maria Silva', phone: '+55 21 99999-0000' },
      shipping: address,
      billing: address,
      items,
      total: items.reduce((sum, item) => sum + item.qty * item.price, 0),
      currency: 'BRL',
      status: 'paid',
      notes: '',
    },
    created_at: '2026-11-23T12:00:00Z',
    source: 'shop-br-01',
  };
  let text = JSON.stringify(order);
  // Pad to exactly 2048 bytes with text that varies by seed (so Parquet cannot just collapse it).
  order.order.notes = pseudoText(seed, Math.max(0, 2048 - Buffer.byteLength(text)));
  text = JSON.stringify(order);
  return text;
}

/** A Kommo lead-status webhook as posted: application/x-www-form-urlencoded with bracket keys. */
export const KOMMO_FORM = [
  'leads[status][0][id]=25399013',
  'leads[status][0][name]=Lead%20%2325399013',
  'leads[status][0][status_id]=142',
  'leads[status][0][old_status_id]=41221',
  'leads[status][0][price]=1500',
  'leads[status][0][responsible_user_id]=3088147',
  'leads[status][0][last_modified]=1764000000',
  'leads[status][0][modified_user_id]=3088147',
  'leads[status][0][created_user_id]=3088147',
  'leads[status][0][date_create]=1763900000',
  'leads[status][0][pipeline_id]=3104455',
  'leads[status][0][account_id]=29085955',
  'leads[status][0][custom_fields][0][id]=427183',
  'leads[status][0][custom_fields][0][name]=Source',
  'leads[status][0][custom_fields][0][values][0][value]=Website',
  'leads[status][0][custom_fields][1][id]=427185',
  'leads[status][0][custom_fields][1][name]=UTM%20campaign',
  'leads[status][0][custom_fields][1][values][0][value]=black-friday-2026',
  'leads[status][0][created_at]=1763900000',
  'leads[status][0][updated_at]=1764000000',
  'account[subdomain]=acme',
  'account[id]=29085955',
  'account[_links][self]=https%3A%2F%2Facme.kommo.com',
].join('&');

/** Deterministic lowercase words, `length` characters long. */
function pseudoText(seed: number, length: number): string {
  let state = (seed * 2654435761 + 1) >>> 0;
  let out = '';
  while (out.length < length) {
    state = (state * 1664525 + 1013904223) >>> 0;
    out += state % 7 === 0 ? ' ' : String.fromCharCode(97 + (state >>> 8) % 26);
  }
  return out;
}
