# syntax=docker/dockerfile:1
# SyncBridge's image: a build stage (every dependency, `npm run build`), a production-dependencies
# stage (`npm ci --omit=dev --omit=optional`, as scripts/production-check.sh proves in CI) and a
# slim runtime stage holding only the build and those dependencies, run as the unprivileged `node`
# user. `docker build -t syncbridge .`; compose.yaml runs it against PostgreSQL and Redis.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS toolchain
# better-sqlite3 is a native addon: built here when no prebuilt binary fits.
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

FROM toolchain AS build
COPY package.json npm-shrinkwrap.json ./
# Scripts off for the dependencies' layer (it is cached until the lockfile changes); the two
# packages whose install scripts matter run theirs, and the build runs once the sources are in.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts && npm rebuild better-sqlite3 esbuild
COPY . .
RUN npm run build

FROM toolchain AS production-dependencies
COPY package.json npm-shrinkwrap.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --omit=optional --ignore-scripts && npm rebuild better-sqlite3

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATABASE_URL=file:/data/syncbridge.db
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist ./dist
COPY --from=build /app/client/dist ./client/dist
COPY --from=build /app/prisma ./prisma
# SQLite's default file lives in a volume the unprivileged user owns (PostgreSQL needs none).
RUN mkdir /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 4000
# Ready: the database answers, no migration is pending, the live transport is connected.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `npm start`'s command, run directly so SIGTERM reaches the service (it drains running jobs).
CMD ["node", "dist/start.js"]
