/**
 * The one placement condition for workflow templates: an instance may run a generation built from an
 * uploaded template only if its discovered node classes include every class the template uses. A
 * generation without a template (`versionId` null) fits everywhere; an instance not yet discovered
 * (node_classes null) runs no template.
 */
export function nodeClassesFit(versionId: string, instanceId: string): string {
  return `(${versionId} is null or exists (
    select 1 from workflow_template_version v join comfy_instance ci on ci.id = ${instanceId}
    where v.id = ${versionId} and ci.node_classes @> v.node_classes))`;
}
