/**
 * SQL true when every model generation `g` names (checkpoint, VAE, LoRAs) is on instance
 * `instance`, or has no recorded instances (assumed everywhere). The one model rule of placement,
 * the claim and the live place in line.
 */
export function modelsFit(g: string, instance: string): string {
  // One index probe of (kind, file_name) per model the generation names. Written as one OR over
  // the kinds, it was a scan of the whole model table for every generation and instance checked:
  // with 2 000 LoRAs and 50 instances, the place in line took 4.6 s.
  const elsewhere = `jsonb_array_length(m.instance_ids) > 0 and not m.instance_ids @> to_jsonb(${instance})`;
  return `(not exists (select 1 from model m where m.kind = 'checkpoint' and m.file_name = ${g}.checkpoint and ${elsewhere})
    and not exists (select 1 from model m where m.kind = 'vae' and m.file_name = ${g}.vae and ${elsewhere})
    and not exists (
      select 1 from jsonb_array_elements(${g}.loras) l join model m on m.kind = 'lora' and m.file_name = l->>'name'
      where ${elsewhere}))`;
}
