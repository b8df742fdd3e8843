import { describe, expect, it } from 'vitest';
import { buildGetUrl, encodeBracketForm, flattenForQuery, parseJsonKeepingNumberText } from '../../../shared/domain/delivery/payload-encoding.ts';
import { newRunId, newSyncId, rowOpEventId, rowOpOf, RUN_ID, SYNC_ID } from '../../../shared/domain/syncs/ids.ts';
import { MalformedSyncMessageError, parseSyncMessage, serializeSyncMessage } from '../../../shared/domain/syncs/messages.ts';
import { syncPayloadJson } from '../../../shared/domain/syncs/payload.ts';

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

describe('ids', () => {
  const base = { syncId: 'syn_0123456789abcdef0123', runId: 'run_0mx3r9onk_ca09beb4', key: '42', op: 'upsert' as const, rowNum: 7 };

  it("a row-op's event id is the same for the same (sync, run, key, op) and differs when any of them does", () => {
    expect(rowOpEventId(base)).toBe(rowOpEventId({ ...base }));
    const variants = [{ syncId: 'syn_0123456789abcdef0124' }, { runId: 'run_0mx3r9onk_ca09beb5' }, { key: '43' }, { op: 'delete' as const }];
    for (const change of variants) expect(rowOpEventId({ ...base, ...change })).not.toBe(rowOpEventId(base));
    // Keys that concatenate alike are still different row-ops.
    expect(rowOpEventId({ ...base, key: 'a,b' })).not.toBe(rowOpEventId({ ...base, key: 'a', runId: `${base.runId},b` }));
  });

  it('carries its op and row number, and nothing else parses as a row-op', () => {
    expect(rowOpOf(rowOpEventId(base))).toEqual({ op: 'upsert', rowNum: 7 });
    expect(rowOpEventId(base)).toMatch(/^evt_sync_[0-9a-f]{24}_upsert_7$/);
    for (const other of ['evt_recv_abc', 'evt_sync_xyz_upsert_1', `evt_sync_${'0'.repeat(24)}_merge_1`]) expect(rowOpOf(other)).toBeUndefined();
  });

  it('sync and run ids have their shapes; run ids sort by start time', () => {
    expect(newSyncId()).toMatch(SYNC_ID);
    const early = newRunId(Date.UTC(2026, 0, 1));
    const late = newRunId(Date.UTC(2026, 0, 1) + 1);
    expect(early).toMatch(RUN_ID);
    expect(early < late).toBe(true);
  });
});

describe('sync queue messages', () => {
  it('round-trip, and malformed ones are refused', () => {
    const message = { v: 1, kind: 'check', syncId: 'syn_0123456789abcdef0123', runId: 'run_0mx3r9onk_ca09beb4' } as const;
    expect(parseSyncMessage(serializeSyncMessage(message))).toEqual(message);
    expect(parseSyncMessage('{"v":1,"kind":"tick"}')).toEqual({ v: 1, kind: 'tick' });
    for (const bad of ['nope', '{"v":2,"kind":"tick"}', '{"v":1,"kind":"run","syncId":"sub_1","runId":"run_0mx3r9onk_ca09beb4"}']) {
      expect(() => parseSyncMessage(bad), bad).toThrow(MalformedSyncMessageError);
    }
  });
});
