import { InteractionContextType, MessageFlags } from 'discord.js';
import { ApplicationCommandType, ButtonStyle, ComponentType, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord-api-types/v10';
import { CustomIdAction, encodeCustomId } from '../custom-id.ts';
import type { SlashCommand } from '../handler-types.ts';

export const forgetMeData: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: ApplicationCommandType.ChatInput,
  name: 'forget-me',
  description: 'Erase everything this bot keeps about you: your requests, images and usage',
  contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
};

/** `/forget-me`: explains what goes and asks for a press of the confirmation button, only to the member. */
export const forgetMe: SlashCommand = {
  data: forgetMeData,
  async run(interaction) {
    await interaction.reply({
      content:
        '**Erase everything of yours?** Your queued and running requests are cancelled, and every request you made, ' +
        'every image and thumbnail stored for you and your usage counts are deleted, in every server. ' +
        'Messages already posted in channels stay until someone deletes them; their image links stop working. ' +
        'This cannot be undone. To keep everything, just dismiss this message.',
      components: [
        {
          type: ComponentType.ActionRow,
          components: [
            { type: ComponentType.Button, style: ButtonStyle.Danger, label: 'Erase everything', emoji: { name: '🗑' }, custom_id: encodeCustomId(CustomIdAction.ForgetMe, interaction.user.id) },
          ],
        },
      ],
      flags: MessageFlags.Ephemeral,
    });
  },
};
