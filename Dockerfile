# Tenantry API image: `docker build -t tenantry .` (compose.yaml runs it beside PostgreSQL and
# Redis). The image runs against an external PostgreSQL (DATABASE_URL, DATABASE_ADMIN_URL,
# DATABASE_PLATFORM_URL); the embedded one is for development.

# Build: every dependency (the Prisma CLI generates the client), then production ones only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build --if-present && npm prune --omit=dev --no-audit --no-fund

# Run: no compilers, no dev dependencies, not root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DATA_DIR=/var/lib/tenantry
WORKDIR /app
COPY --from=build --chown=root:root /app /app
RUN mkdir -p /var/lib/tenantry && chown node:node /var/lib/tenantry
USER node
EXPOSE 3000
VOLUME ["/var/lib/tenantry"]
# Liveness only: a database outage shows on /health/ready (for a load balancer), and should not
# get the container restarted.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# npm would not forward SIGTERM reliably; run the start script's command directly (its memory
# settings included: see "Performance" in the README).
CMD ["env", "MALLOC_MMAP_THRESHOLD_=131072", "node", "--max-old-space-size=128", "--import", "tsx", "src/server.ts"]
