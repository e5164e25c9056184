// Value lists of enum columns, apart from their MikroORM entities so that a role that never uses
// the ORM (the bot) does not load it to read them.

export const generationStatuses = ['queued', 'running', 'cancel_requested', 'succeeded', 'failed', 'cancelled'] as const;
export type GenerationStatus = (typeof generationStatuses)[number];

export const blocklistKinds = ['word', 'regex'] as const;
export type BlocklistKind = (typeof blocklistKinds)[number];
