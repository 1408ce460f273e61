# One image for all five apps; docker-compose.yml picks the command per service
# (node dist/apps/<app>/src/main.js) and runs the `seed` job with node dist/scripts/prepare-db.js.
# Node 24 (LTS). No `# syntax=` line: BuildKit would fetch a frontend image for it, and builds must work offline.

# --- deps: every dependency, for building (cached until package*.json change) ---
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# --- build: TypeScript -> dist/ ---
FROM deps AS build
COPY . .
RUN npm run build

# --- prod-deps: runtime dependencies only ---
FROM node:24-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime ---
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The gateway serves the dashboard page from here.
COPY --from=build /app/apps/gateway/public ./apps/gateway/public
COPY package.json ./
USER node
# The gateway's HTTP port; the services' Prometheus ports (9301-9305) are reached by Prometheus on the network.
EXPOSE 3000
CMD ["node", "dist/apps/gateway/src/main.js"]
