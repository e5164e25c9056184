import { escapeMarkdown } from 'discord.js';

/**
 * User text (a prompt) shown back inert: markdown escaped (discord.js' escapeMarkdown) and every
 * mention form broken by a zero-width space, so `@everyone`, `<@id>`, `<@&role>` and `<#channel>`
 * show as text instead of rendering or pinging. Messages carrying it also send allowed_mentions: none.
 */
export function inert(text: string): string {
  return escapeMarkdown(text)
    .replace(/@(everyone|here)/g, '@\u200b$1')
    .replace(/<([@#])/g, '<\u200b$1');
}
