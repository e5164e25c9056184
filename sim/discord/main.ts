import { parseArgs } from 'node:util';
import { startDiscordSim } from './index.ts';

/** `npm run sim:discord [-- --port 3210] (3210 by default: 8787 is the admin API's)`: runs the stand-in Discord until interrupted. */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '3210' },
    host: { type: 'string', default: '127.0.0.1' },
    token: { type: 'string' },
    'application-id': { type: 'string' },
  },
});

const sim = await startDiscordSim({
  host: values.host,
  port: Number(values.port),
  token: values.token,
  applicationId: values['application-id'],
});
const guild = sim.defaultGuild!;
console.log(
  [
    'Discord stand-in running',
    `  API base (DISCORD_API_BASE): ${sim.apiBase}   (discord.js appends /v10)`,
    `  CDN base:                    ${sim.cdnBase}`,
    `  Gateway:                     ${sim.gatewayUrl}`,
    `  Bot token:                   ${sim.token}`,
    `  Application id:              ${sim.applicationId}`,
    `  Guild:                       ${guild.id} (${guild.name})`,
    `  Channel:                     ${guild.channels[0]!.id} (#${guild.channels[0]!.name})`,
    `  User:                        ${sim.defaultUser!.id} (${sim.defaultUser!.username})`,
    `  Playground page:             ${sim.playground!.url}   (type /imagine there once a bot is connected)`,
  ].join('\n'),
);

const shutdown = () => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
