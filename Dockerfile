# kubegate's image: the production build (`npm run build`, dist/) on Node 24, with the
# production dependencies only, run as the non-root `node` user (uid 1000) on a read-only
# root filesystem. No HEALTHCHECK: in Kubernetes the kubelet probes /livez and /readyz
# (deploy/base/deployment.yaml), and Docker's own check would only duplicate them.
#
# node:24-slim rather than distroless: the same Debian and Node as the build stage (so the
# compiled output and the dependencies run where they were installed), and a shell for
# `kubectl exec` when something needs looking at. Pin it by digest in your registry's build.

# 1. Compile: every dependency (TypeScript), then src/ -> dist/.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# 2. The production dependencies alone (none has an install script to run).
FROM node:24-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# 3. What runs: dist/, the production node_modules and package.json ("type": "module").
# Owned by root, so the process cannot change its own code.
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER 1000:1000
EXPOSE 4000 9090
# Node is PID 1: kubegate handles SIGTERM and SIGINT itself (graceful shutdown) and starts
# no child processes, so no init is needed. Source maps make logged stack traces point at src/.
# The heap may use 75 % of the memory the container is given. Node's default is 560 MB under
# a 1 GiB limit and never more than ~4.2 GB whatever the limit: a gateway mirroring a fleet
# (3+ GB of heap) died out of heap at that cap with memory to spare, and under 1 GiB a
# 100,000-pod first sync spent more time in GC (16.3-16.5 s against 15.3-15.7 s with the
# flag; bench/results/heap-limit.md). The rest is for buffers, sockets, TLS and the code.
# No allocation-site pretenuring: V8 otherwise learns, from allocation sites whose objects all
# survived a young-generation GC, to allocate their objects straight in the old generation. On
# a gateway of 100,000 pods under load that sent per-request objects there (about 2 MB per
# scavenge, the old generation growing 46-100 MB in 8 s of cluster summaries, scavenges of
# 6.4 ms instead of 2.3-2.6 ms), and a busy mirror's full GCs followed. With the flag the
# summary's B/A went from 0.86 to 0.97 at size L, the first sync no slower
# (bench/results/pretenuring.md).
ENTRYPOINT ["node", "--enable-source-maps", "--max-old-space-size-percentage=75", "--no-allocation-site-pretenuring", "dist/main.js"]
# Without arguments: the cluster the pod runs in, through its service account, on 127.0.0.1
# only (kubectl port-forward reaches it; without auth it refuses other addresses). The
# Deployment passes `--config /etc/kubegate/kubegate.yaml` instead.
CMD ["--in-cluster"]
