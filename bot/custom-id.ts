// The codec lives in src-shared: the scheduler puts the result buttons on the messages it delivers.
export * from '#shared/discord/custom-id.ts';
