import { describe, expect, it } from 'vitest';
import { MalformedSyncMessageError, parseSyncMessage, serializeSyncMessage } from '../../../../../shared/domain/syncs/messages.ts';

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
