# Vestibule: one process, one SQLite file under /data.
FROM denoland/deno:2.9.6

WORKDIR /app
ENV DATA_DIR=/data DENO_NO_UPDATE_CHECK=1
RUN mkdir -p /data && chown deno:deno /data /app

# Dependencies first, so a code change does not refetch them. As the user that runs the service,
# so the caches it reads are its own.
USER deno
COPY --chown=deno:deno deno.json deno.lock ./
COPY --chown=deno:deno db/ db/
COPY --chown=deno:deno src/ src/
# The Workers are loaded by URL at run time: cache their module graphs too.
RUN deno install --frozen --entrypoint src/main.ts src/cli.ts src/images/worker.ts \
    src/jobs/purge_worker.ts src/services/password_worker.ts src/data/commit_worker.ts

VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD deno eval "const r = await fetch('http://127.0.0.1:8000/healthz'); Deno.exit(r.ok ? 0 : 1)"

CMD ["deno", "task", "start"]
