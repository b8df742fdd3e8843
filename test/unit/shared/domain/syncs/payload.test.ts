import { describe, expect, it } from 'vitest';
import { buildGetUrl, encodeBracketForm, flattenForQuery, parseJsonKeepingNumberText } from '../../../../../shared/domain/delivery/payload-encoding.ts';
import { syncPayloadJson } from '../../../../../shared/domain/syncs/payload.ts';

describe("valmi's payload", () => {
  const seedRow = '{"my_first_name":"Ryan","my_last_name":"Salisbury","email":"ryan.salisbury@sakilacustomer.org","active":1}';

  it("GET flattens it into exactly the seed's example", () => {
    const payload = syncPayloadJson({ rowJson: seedRow, rowNum: 347, op: 'upsert', mode: 'upsert' });
    const url = buildGetUrl('http://crm.example/', flattenForQuery(parseJsonKeepingNumberText(payload)));
    expect(url).toBe(
      'http://crm.example/?_valmi_meta__valmi_row_num=347&_valmi_meta__valmi_sync_op=upsert&my_first_name=Ryan&my_last_name=Salisbury' +
        '&email=ryan.salisbury%40sakilacustomer.org&active=1&_message_id=346&_sync_mode=upsert',
    );
  });

  it('POST json puts the meta first, the mapped fields as DuckDB wrote them, then _message_id and _sync_mode', () => {
    expect(syncPayloadJson({ rowJson: '{"id":12345678901234567890123,"tags":["a"],"x":null}', rowNum: 1, op: 'delete', mode: 'mirror' })).toBe(
      '{"_valmi_meta":{"_valmi_row_num":1,"_valmi_sync_op":"delete"},"id":12345678901234567890123,"tags":["a"],"x":null,"_message_id":0,"_sync_mode":"mirror"}',
    );
    expect(syncPayloadJson({ rowJson: '{}', rowNum: 2, op: 'create', mode: 'create' })).toBe(
      '{"_valmi_meta":{"_valmi_row_num":2,"_valmi_sync_op":"create"},"_message_id":1,"_sync_mode":"create"}',
    );
    expect(() => syncPayloadJson({ rowJson: '[1]', rowNum: 1, op: 'upsert', mode: 'upsert' })).toThrow(/JSON object/);
  });

  it('form posts bracket-encode the same object', () => {
    const payload = syncPayloadJson({ rowJson: '{"a":{"b":2}}', rowNum: 3, op: 'append', mode: 'append' });
    expect(decodeURIComponent(encodeBracketForm(parseJsonKeepingNumberText(payload)))).toBe(
      '_valmi_meta[_valmi_row_num]=3&_valmi_meta[_valmi_sync_op]=append&a[b]=2&_message_id=2&_sync_mode=append',
    );
  });
});
