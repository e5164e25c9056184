# One image for every role; the compose file picks the command.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bot ./bot
COPY scheduler ./scheduler
COPY admin-api ./admin-api
COPY src-shared ./src-shared
COPY migrations ./migrations
COPY scripts ./scripts
# The stripped TypeScript of the bot's modules, so it never loads Node's type stripper (bot/main.ts).
ENV NODE_COMPILE_CACHE=/app/.compile-cache
RUN node scripts/warm-compile-cache.ts
RUN mkdir -p /app/data && chown -R node:node /app/data /app/.compile-cache
USER node
CMD ["node", "scripts/start.ts"]
