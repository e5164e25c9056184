import { describe, expect, test } from 'vitest';
import { isUnsafeModelFile, looksLikeModelFile } from '#shared/comfyui/discovery/file-safety.ts';
import { planDiscovery, type ExistingModel, type PlanInput } from '#shared/comfyui/discovery/plan.ts';
import { formatSummary, summarize } from '#shared/comfyui/discovery/summary.ts';

function row(overrides: Partial<ExistingModel> & Pick<ExistingModel, 'id' | 'fileName'>): ExistingModel {
  return { kind: 'checkpoint', source: 'discovered', available: true, instanceIds: [1], ...overrides };
}

function plan(input: Partial<PlanInput>) {
  return planDiscovery({ answered: [], unreachableIds: [], existing: [], enableNew: true, ...input });
}

describe('file safety', () => {
  test.each(['a.ckpt', 'b.pt', 'c.pth', 'd.bin', 'e.pkl', 'f.PT', 'g.pt2', 'h.gguf'])('%s is unsafe', (name) => {
    expect(isUnsafeModelFile(name)).toBe(true);
  });
  test.each(['a.safetensors', 'sub/b.sft', 'C.SafeTensors'])('%s is safe', (name) => {
    expect(isUnsafeModelFile(name)).toBe(false);
  });
  test('loader pseudo entries are not files', () => {
    expect(['taesd', 'pixel_space', 'taesdxl', 'x.safetensors', 'dir.v2/none'].filter(looksLikeModelFile)).toEqual(['x.safetensors']);
  });
});

describe('planDiscovery', () => {
  test('new files from two instances become one row each, with every instance that has them', () => {
    const p = plan({
      answered: [
        { instanceId: 2, files: { checkpoint: ['base.safetensors', 'only-two.sft'], lora: ['style/ink.safetensors'] } },
        { instanceId: 1, files: { checkpoint: ['base.safetensors'] } },
      ],
    });
    expect(p.updates).toEqual([]);
    expect(p.inserts).toEqual([
      { kind: 'checkpoint', fileName: 'base.safetensors', displayName: 'base', enabled: true, unsafe: false, instanceIds: [1, 2] },
      { kind: 'checkpoint', fileName: 'only-two.sft', displayName: 'only-two', enabled: true, unsafe: false, instanceIds: [2] },
      { kind: 'lora', fileName: 'style/ink.safetensors', displayName: 'ink', enabled: true, unsafe: false, instanceIds: [2] },
    ]);
  });

  test('pickle files are unsafe and disabled even when new models are enabled', () => {
    const p = plan({ answered: [{ instanceId: 1, files: { checkpoint: ['old.ckpt', 'new.safetensors'], vae: ['v.pt'] } }] });
    expect(p.inserts.map((m) => [m.fileName, m.enabled, m.unsafe])).toEqual([
      ['new.safetensors', true, false],
      ['old.ckpt', false, true],
      ['v.pt', false, true],
    ]);
  });

  test('MODELS_ENABLE_NEW=false leaves new safe files disabled', () => {
    const p = plan({ enableNew: false, answered: [{ instanceId: 1, files: { lora: ['a.safetensors'] } }] });
    expect(p.inserts[0]).toMatchObject({ fileName: 'a.safetensors', enabled: false, unsafe: false });
  });

  test('the same file name under two kinds is two models', () => {
    const p = plan({ answered: [{ instanceId: 1, files: { checkpoint: ['x.safetensors'], vae: ['x.safetensors'] } }] });
    expect(p.inserts.map((m) => m.kind)).toEqual(['checkpoint', 'vae']);
  });

  test('a file gone from every instance that answered is retired; unchanged rows only get seen', () => {
    const p = plan({
      answered: [{ instanceId: 1, files: { checkpoint: ['kept.safetensors'] } }],
      existing: [row({ id: 10, fileName: 'kept.safetensors' }), row({ id: 11, fileName: 'gone.safetensors', instanceIds: [1, 2] })],
    });
    expect(p.inserts).toEqual([]);
    expect(p.updates).toEqual([
      { id: 11, kind: 'checkpoint', fileName: 'gone.safetensors', seen: false, before: { instanceIds: [1, 2], available: true }, after: { instanceIds: [], available: false } },
      { id: 10, kind: 'checkpoint', fileName: 'kept.safetensors', seen: true, before: { instanceIds: [1], available: true }, after: { instanceIds: [1], available: true } },
    ]);
    const s = summarize(p, []);
    expect(s.retired).toEqual([{ id: 11, kind: 'checkpoint', fileName: 'gone.safetensors', instanceIds: [1, 2] }]);
    expect(s.updated).toEqual([]);
  });

  test('a retired file that is back is available again with its instances', () => {
    const p = plan({
      answered: [{ instanceId: 3, files: { checkpoint: ['back.safetensors'] } }],
      existing: [row({ id: 5, fileName: 'back.safetensors', available: false, instanceIds: [] })],
    });
    expect(p.updates[0]!.after).toEqual({ instanceIds: [3], available: true });
    expect(summarize(p, []).updated).toEqual([
      { id: 5, kind: 'checkpoint', fileName: 'back.safetensors', before: { instanceIds: [], available: false }, after: { instanceIds: [3], available: true } },
    ]);
  });

  test('an unreachable instance keeps its files and retires nothing', () => {
    const p = plan({
      answered: [{ instanceId: 1, files: { checkpoint: [] } }],
      unreachableIds: [2],
      existing: [
        row({ id: 1, fileName: 'on-both.safetensors', instanceIds: [1, 2] }),
        row({ id: 2, fileName: 'on-two.safetensors', instanceIds: [2] }),
        row({ id: 3, fileName: 'on-one.safetensors', instanceIds: [1] }),
      ],
    });
    const after = Object.fromEntries(p.updates.map((u) => [u.fileName, u.after]));
    expect(after).toEqual({
      'on-both.safetensors': { instanceIds: [2], available: true },
      'on-one.safetensors': { instanceIds: [], available: false },
    });
  });

  test('nothing answered and every instance unreachable: no change at all', () => {
    const p = plan({ unreachableIds: [1, 2], existing: [row({ id: 1, fileName: 'a.safetensors', instanceIds: [1, 2] })] });
    expect(p).toEqual({ inserts: [], updates: [], skipped: [] });
  });

  test('instances no longer enabled drop out of instanceIds', () => {
    const p = plan({
      answered: [{ instanceId: 1, files: { lora: ['l.safetensors'] } }],
      existing: [row({ id: 1, kind: 'lora', fileName: 'l.safetensors', instanceIds: [1, 7] })],
    });
    expect(p.updates[0]!.after).toEqual({ instanceIds: [1], available: true });
  });

  test('manual models are never retired but their instances follow what answered', () => {
    const p = plan({
      answered: [{ instanceId: 1, files: { checkpoint: ['manual-here.safetensors'] } }, { instanceId: 2, files: {} }],
      existing: [
        row({ id: 1, fileName: 'manual-here.safetensors', source: 'manual', instanceIds: [] }),
        row({ id: 2, fileName: 'manual-gone.safetensors', source: 'manual', instanceIds: [2] }),
      ],
    });
    const after = Object.fromEntries(p.updates.map((u) => [u.fileName, u.after]));
    expect(after).toEqual({
      'manual-here.safetensors': { instanceIds: [1], available: true },
      'manual-gone.safetensors': { instanceIds: [], available: true },
    });
    expect(summarize(p, []).retired).toEqual([]);
  });

  test('a file name too long for the table is skipped, not inserted', () => {
    const long = `${'x'.repeat(500)}.safetensors`;
    const p = plan({ answered: [{ instanceId: 1, files: { checkpoint: [long, 'ok.safetensors'] } }] });
    expect(p.inserts.map((m) => m.fileName)).toEqual(['ok.safetensors']);
    expect(p.skipped).toEqual([{ kind: 'checkpoint', fileName: long }]);
  });
});

describe('formatSummary', () => {
  test('lists added, updated, retired and unreachable', () => {
    const text = formatSummary({
      added: [{ kind: 'checkpoint', fileName: 'old.ckpt', enabled: false, unsafe: true, instanceIds: [1] }],
      updated: [{ id: 2, kind: 'lora', fileName: 'l.safetensors', before: { instanceIds: [], available: false }, after: { instanceIds: [1, 2], available: true } }],
      retired: [{ id: 3, kind: 'vae', fileName: 'v.safetensors', instanceIds: [2] }],
      unreachable: [{ id: 2, name: 'comfy-2', baseUrl: 'http://127.0.0.1:9', error: 'fetch failed' }],
    });
    expect(text).toBe(
      [
        'added 1:',
        '  + checkpoint old.ckpt (disabled: unsafe format, enable by hand if trusted) on instances 1',
        'updated 1:',
        '  ~ lora l.safetensors: available again; instances none → 1, 2',
        'retired 1 (gone from every instance, marked unavailable):',
        '  - vae v.safetensors',
        'unreachable 1 (their models were left as they were):',
        '  ! comfy-2 http://127.0.0.1:9: fetch failed',
        '',
      ].join('\n'),
    );
    expect(formatSummary({ added: [], updated: [], retired: [], unreachable: [] })).toBe('no model changes\n');
  });
});
