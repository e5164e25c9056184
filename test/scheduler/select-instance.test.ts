import { describe, expect, test } from 'vitest';
import { selectInstance, type InstanceCandidate } from '#shared/scheduling/select-instance.ts';

const base: InstanceCandidate = { id: 1, enabled: true, health: 'healthy', maxQueueDepth: 2, inFlight: 0, lastCheckpoint: null, hasModels: true };
const c = (o: Partial<InstanceCandidate>): InstanceCandidate => ({ ...base, ...o });

describe('selectInstance', () => {
  test('least queued wins', () => {
    expect(selectInstance([c({ id: 1, inFlight: 1 }), c({ id: 2, inFlight: 0 })], 'a')).toEqual({ ok: true, instanceId: 2 });
  });
  test('on a tie, the instance that last ran the same checkpoint wins', () => {
    expect(selectInstance([c({ id: 1 }), c({ id: 2, lastCheckpoint: 'a' })], 'a')).toEqual({ ok: true, instanceId: 2 });
    expect(selectInstance([c({ id: 1, inFlight: 0 }), c({ id: 2, inFlight: 1, lastCheckpoint: 'a' })], 'a')).toEqual({ ok: true, instanceId: 1 });
  });
  test('skips unhealthy, disabled, full and model-less instances, saying why when none fit', () => {
    expect(selectInstance([c({ enabled: false }), c({ id: 2, enabled: false })], 'a')).toEqual({ ok: false, reason: 'no_instance' });
    expect(selectInstance([c({ health: 'unhealthy' }), c({ id: 2, enabled: false })], 'a')).toEqual({ ok: false, reason: 'unavailable' });
    expect(selectInstance([c({ health: 'unhealthy' }), c({ id: 2, hasModels: false })], 'a')).toEqual({ ok: false, reason: 'unavailable' });
    expect(selectInstance([c({ hasModels: false })], 'a')).toEqual({ ok: false, reason: 'no_instance_has_models' });
    expect(selectInstance([c({ inFlight: 2 })], 'a')).toEqual({ ok: false, reason: 'all_busy' });
    expect(selectInstance([c({ id: 1, hasModels: false }), c({ id: 2, health: 'unknown' })], 'a')).toEqual({ ok: true, instanceId: 2 });
  });
});
