# Workdeck: one image for `workdeck serve` and `workdeck worker` (see compose.yaml and the README's "Scaling").
# Debian (glibc), because the Claude Code binary the Agent SDK ships is built for it.

# ---- build: dependencies, the Next build and the compiled server --------------------------
FROM node:22-bookworm-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
# better-sqlite3 compiles from source when no prebuilt binary matches the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build \
 && npm prune --omit=dev

# ---- run: the built app, non-root ---------------------------------------------------------
FROM node:22-bookworm-slim
# git: sessions work in worktrees of the project's repository. tini: signals reach Workdeck,
# which stops its sessions' processes before it exits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    WORKDECK_HOME=/data \
    WORKDECK_HOST=0.0.0.0 \
    WORKDECK_PORT=3000 \
    WORKDECK_SERVER_BUILD=required
WORKDIR /app
# The whole built checkout (sources too: the config file and the compiled server's lazy imports
# resolve against it), with production dependencies only.
COPY --from=build /app ./
# The app is read-only to the user that runs it; what it writes is in volumes: /data (database,
# demo copy, worktrees, hook spool), /projects (checkouts) and, on a worker, the accounts' Claude
# folders. A named volume takes its owner from the image, so each exists here owned by `node`
# (uid 1000, from the base image).
RUN mkdir -p /data /projects /home/node/.claude-accounts \
 && chown node:node /data /projects /home/node/.claude-accounts
USER node
VOLUME ["/data"]
EXPOSE 3000
# Listening beyond loopback needs WORKDECK_TOKEN; without it the server refuses to start and says so.
# The health route answers behind the token like every other (the variable is in the container's env).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.WORKDECK_PORT+'/api/health',{headers:{authorization:'Bearer '+(process.env.WORKDECK_TOKEN||'')}}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["tini", "--", "node", "bin/workdeck.mjs"]
CMD ["serve"]
