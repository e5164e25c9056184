import type { APIEmbed } from 'discord-api-types/v10';
import { embedColors } from './colors.ts';
import { embedLimits, truncate } from '#shared/render/limits.ts';

/** An error the user can act on: what went wrong and, in the text, what to do next. Pure. */
export function errorEmbed(message: string, title = 'That did not work'): APIEmbed {
  return {
    title: truncate(title, embedLimits.title),
    description: truncate(message, embedLimits.description),
    color: embedColors.error,
  };
}

export const genericErrorMessage = 'Something went wrong on our side. Please try again in a minute.';
