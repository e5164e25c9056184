export const embedColors = {
  queued: 0x5865f2,
  cancelled: 0x99aab5,
  error: 0xed4245,
  done: 0x57f287,
} as const;
