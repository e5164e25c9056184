import { describe, expect, it } from 'vitest';
import { parseBinaryEvent, parseTextEvent, promptIdOf } from '#shared/comfyui/index.ts';

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

describe('parseTextEvent', () => {
  it('types known messages and keeps the connect sid', () => {
    const e = parseTextEvent('{"type":"status","data":{"status":{"exec_info":{"queue_remaining":2}},"sid":"abc"}}');
    expect(e).toEqual({ type: 'status', data: { status: { exec_info: { queue_remaining: 2 } }, sid: 'abc' } });
    expect(promptIdOf(e)).toBeUndefined();
    const p = parseTextEvent('{"type":"progress","data":{"value":3,"max":20,"prompt_id":"p1","node":"3"}}');
    expect(p.type === 'progress' && p.data.value).toBe(3);
    expect(promptIdOf(p)).toBe('p1');
  });

  it('keeps fields newer servers add (workflow_id) and still routes by prompt_id', () => {
    const e = parseTextEvent('{"type":"execution_start","data":{"prompt_id":"p1","timestamp":5,"workflow_id":"wf-9"}}');
    expect(e).toEqual({ type: 'execution_start', data: { prompt_id: 'p1', timestamp: 5, workflow_id: 'wf-9' } });
    expect(promptIdOf(e)).toBe('p1');
  });

  it('passes unknown custom-node messages through as unknown', () => {
    expect(parseTextEvent('{"type":"crystools.monitor","data":{"cpu":3}}')).toEqual({ type: 'unknown', rawType: 'crystools.monitor', data: { cpu: 3 } });
  });

  it('keeps big integers in payloads exact', () => {
    const e = parseTextEvent('{"type":"execution_start","data":{"prompt_id":"p","timestamp":18446744073709551615}}');
    expect(e.type === 'execution_start' && e.data.timestamp).toBe(18446744073709551615n);
  });
});

describe('parseBinaryEvent', () => {
  it('reads a type 1 preview (8-byte header)', () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
    expect(parseBinaryEvent(Buffer.concat([u32(1), u32(1), jpeg]))).toEqual({ type: 'preview', format: 'jpeg', image: jpeg });
    expect(parseBinaryEvent(Buffer.concat([u32(1), u32(2), jpeg]))).toMatchObject({ format: 'png' });
  });

  it('reads a type 4 preview with metadata', () => {
    const meta = Buffer.from(JSON.stringify({ node_id: '3', prompt_id: 'p9', image_type: 'image/png' }));
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    const e = parseBinaryEvent(Buffer.concat([u32(4), u32(meta.length), meta, png]));
    expect(e).toEqual({ type: 'preview', format: 'png', image: png, metadata: { node_id: '3', prompt_id: 'p9', image_type: 'image/png' } });
    expect(promptIdOf(e)).toBe('p9');
  });

  it('reads a type 3 text frame and tolerates junk', () => {
    const node = Buffer.from('12');
    expect(parseBinaryEvent(Buffer.concat([u32(3), u32(node.length), node, Buffer.from('50% done')]))).toEqual({ type: 'progress_text', nodeId: '12', text: '50% done' });
    expect(parseBinaryEvent(Buffer.from([0, 0]))).toMatchObject({ type: 'unknown' });
    expect(parseBinaryEvent(Buffer.concat([u32(9), u32(0)]))).toMatchObject({ type: 'unknown', rawType: 9 });
  });
});
