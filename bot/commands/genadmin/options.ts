import { ApplicationCommandOptionType } from 'discord.js';
import type { APIApplicationCommandBasicOption } from 'discord-api-types/v10';
import { limitFields, maxLimitValue, type LimitField } from '#shared/limits/policy.ts';

/** The /genadmin option name of each limit field, and what it means. */
export const limitOptionNames: Record<LimitField, { name: string; description: string }> = {
  perMinute: { name: 'per_minute', description: 'Images per member per minute (0 = no cap)' },
  perHour: { name: 'per_hour', description: 'Images per member per hour (0 = no cap)' },
  perDay: { name: 'per_day', description: 'Images per member per day (0 = no cap)' },
  maxActive: { name: 'max_active', description: 'Requests one member may have queued or running (0 = no cap)' },
  maxBatch: { name: 'max_batch', description: 'Images in one request (0 = no cap)' },
  maxSteps: { name: 'max_steps', description: 'Sampling steps in one request (0 = no cap)' },
  maxPixels: { name: 'max_pixels', description: 'Width × height of one image (0 = no cap)' },
};

export { maxLimitValue };

export const roleOption: APIApplicationCommandBasicOption = {
  type: ApplicationCommandOptionType.Role, name: 'role', description: 'A role (leave out for the whole server)',
};

export const limitValueOptions: APIApplicationCommandBasicOption[] = limitFields.map((f) => ({
  type: ApplicationCommandOptionType.Integer, name: limitOptionNames[f].name, description: limitOptionNames[f].description, min_value: 0, max_value: maxLimitValue,
}));

export const clearChoices = [...limitFields.map((f) => limitOptionNames[f].name), 'blocked', 'all'];
