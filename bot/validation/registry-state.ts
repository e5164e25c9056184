/** How far the model registry has got, for telling "not discovered yet" from "none enabled". */
export interface RegistryState {
  /** Model rows of any kind and state: 0 until discovery (or an operator) added the first. */
  known: number;
  usableCheckpoints: number;
  usableLoras: number;
}

export const registryMessages = {
  discovering: 'Models are still being discovered. Try again in a few seconds.',
  noCheckpoint: 'No checkpoint is enabled yet. Ask an operator to enable one.',
  onlyNsfw: 'The only enabled checkpoints are age-restricted: use an age-restricted (NSFW) channel, or ask an operator to enable another.',
  noLora: 'No LoRA is enabled yet. Ask an operator to enable one.',
} as const;

/** Why there is no default checkpoint for this channel. Pure. */
export function noCheckpointMessage(state: RegistryState): string {
  if (state.known === 0) return registryMessages.discovering;
  if (state.usableCheckpoints === 0) return registryMessages.noCheckpoint;
  return registryMessages.onlyNsfw;
}

/**
 * What autocomplete offers when nothing matched and nothing was typed: one choice that explains why
 * (an empty value, which /imagine reads as "not given"), or none when the list is simply empty. Pure.
 */
export function emptyChoicesHint(kind: 'checkpoint' | 'lora', state: RegistryState): { name: string; value: string }[] {
  if (state.known === 0) return [{ name: registryMessages.discovering, value: '' }];
  if (kind === 'checkpoint' && state.usableCheckpoints === 0) return [{ name: registryMessages.noCheckpoint, value: '' }];
  if (kind === 'lora' && state.usableLoras === 0) return [{ name: registryMessages.noLora, value: '' }];
  return [];
}
