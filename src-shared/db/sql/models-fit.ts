/**
 * SQL true when every model generation `g` names (checkpoint, VAE, LoRAs) is on instance
 * `instance`, or has no recorded instances (assumed everywhere). The one model rule of placement,
 * the claim and the live place in line.
 */
export function modelsFit(g: string, instance: string): string {
  return `not exists (
    select 1 from model m
    where jsonb_array_length(m.instance_ids) > 0 and not m.instance_ids @> to_jsonb(${instance})
      and ((m.kind = 'checkpoint' and m.file_name = ${g}.checkpoint)
        or (m.kind = 'vae' and m.file_name = ${g}.vae)
        or (m.kind = 'lora' and m.file_name in (select l->>'name' from jsonb_array_elements(${g}.loras) l))))`;
}
