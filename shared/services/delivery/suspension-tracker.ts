// Kommo's per-address suspension state (an address is a subscription URL, queue-messages.ts
// `addressOf`), shared by every fan-out instance through one DynamoDB item per address
// (suspension.ts explains the shape). Invalid responses recorded in the same turn of
// the event loop, or while a write for the address is in flight, are applied together in ONE
// conditional write (`version` = the version read); on a conflict the item is read again and the
// batch re-applied, so concurrent instances never lose a count.
import { recordInvalid, type SuspensionState } from '../../domain/delivery/suspension.ts';
import type { SuspensionStore } from '../../ports/delivery.ts';

export interface SuspensionTracker {
  /** Counts one invalid response at `at` (epoch ms, fan-out clock); resolves with the state after it. */
  recordInvalid(address: string, at: number): Promise<SuspensionState>;
  /** The address's state, read at most `cacheMs` ago (by this process's own writes or a read). */
  current(address: string): Promise<SuspensionState>;
}

export class SuspensionConflictError extends Error {
  override name = 'SuspensionConflictError';
}

interface Waiting {
  at: number;
  resolve: (state: SuspensionState) => void;
  reject: (error: unknown) => void;
}

interface AddressSlot {
  waiting: Waiting[];
  running: boolean;
  cached?: { state: SuspensionState; at: number } | undefined;
  reading?: Promise<SuspensionState> | undefined;
}

const MAX_CONFLICT_RETRIES = 25;

export function suspensionTracker(
  store: SuspensionStore,
  options: { cacheMs: number; now?: () => number; random?: () => number } = { cacheMs: 1000 },
): SuspensionTracker {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const slots = new Map<string, AddressSlot>();
  const slotOf = (address: string) => {
    let slot = slots.get(address);
    if (slot === undefined) {
      slot = { waiting: [], running: false };
      slots.set(address, slot);
    }
    return slot;
  };
  const remember = (slot: AddressSlot, state: SuspensionState) => {
    if (slot.cached === undefined || slot.cached.state.version <= state.version) slot.cached = { state, at: now() };
  };

  async function write(address: string, slot: AddressSlot, times: number[]): Promise<SuspensionState> {
    let base = slot.cached?.state ?? (await store.get(address));
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      let next = base;
      for (const at of times) next = recordInvalid(next, at);
      if (await store.put(address, next, base.version)) {
        remember(slot, next);
        return next;
      }
      if (attempt > 2) await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 5 * attempt)));
      base = await store.get(address);
      remember(slot, base);
    }
    throw new SuspensionConflictError(`suspension state of ${address}: ${MAX_CONFLICT_RETRIES} write conflicts in a row`);
  }

  async function run(address: string, slot: AddressSlot): Promise<void> {
    while (slot.waiting.length > 0) {
      const batch = slot.waiting.splice(0);
      try {
        const state = await write(
          address,
          slot,
          batch.map((item) => item.at).sort((a, b) => a - b),
        );
        for (const item of batch) item.resolve(state);
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
    slot.running = false;
  }

  return {
    recordInvalid(address, at) {
      const slot = slotOf(address);
      return new Promise<SuspensionState>((resolve, reject) => {
        slot.waiting.push({ at, resolve, reject });
        if (!slot.running) {
          slot.running = true;
          setImmediate(() => void run(address, slot));
        }
      });
    },
    async current(address) {
      const slot = slotOf(address);
      if (slot.cached !== undefined && now() - slot.cached.at < options.cacheMs) return slot.cached.state;
      slot.reading ??= store.get(address).finally(() => {
        slot.reading = undefined;
      });
      const state = await slot.reading;
      remember(slot, state);
      return state;
    },
  };
}
