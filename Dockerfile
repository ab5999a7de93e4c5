# condasync: one image for every role (`condasync api`, `condasync worker`, `condasync sync`).
# The exact Node of .nvmrc (test/toolchain.test.ts keeps the two equal).
ARG NODE_VERSION=24.22.3
FROM node:${NODE_VERSION}-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs/codecs/package.json libs/codecs/
COPY libs/conda/package.json libs/conda/
COPY libs/storage/package.json libs/storage/
COPY libs/env/package.json libs/env/
COPY libs/queue/package.json libs/queue/
COPY libs/mirror/package.json libs/mirror/
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/cli/package.json apps/cli/
RUN npm ci --omit=dev && npm cache clean --force
COPY libs ./libs
COPY apps ./apps
# Runs as the image's unprivileged `node` user; the work dir holds upstream repodata caches.
RUN mkdir -p /var/cache/condasync && chown node:node /var/cache/condasync
USER node
ENV CONDASYNC_WORK_DIR=/var/cache/condasync
EXPOSE 8080 9464
ENTRYPOINT ["node", "apps/cli/bin/condasync.js"]
CMD ["api"]
