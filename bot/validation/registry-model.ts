/** A model row as the bot sees it (see bot/db/model-queries.ts). */
export interface RegistryModel {
  id: number;
  kind: 'checkpoint' | 'lora';
  fileName: string;
  displayName: string;
  nsfw: boolean;
  baseFamily: string | null;
  defaultStrengthModel: number | null;
  defaultStrengthClip: number | null;
  defaultWidth: number | null;
  defaultHeight: number | null;
  defaultSteps: number | null;
  defaultCfg: number | null;
  defaultSampler: string | null;
  defaultScheduler: string | null;
  /** enabled, available and not flagged unsafe */
  usable: boolean;
}
