# Vestibule: one process, one SQLite file under /data.
FROM denoland/deno:2.9.6

WORKDIR /app
ENV DATA_DIR=/data DENO_NO_UPDATE_CHECK=1

# Dependencies first, so code changes do not refetch them.
COPY deno.json deno.lock ./
COPY src/ src/
COPY db/ db/
RUN deno install --frozen --entrypoint src/main.ts src/cli.ts

RUN mkdir -p /data && chown -R deno:deno /data /app
USER deno
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD deno eval "const r = await fetch('http://127.0.0.1:8000/healthz'); Deno.exit(r.ok ? 0 : 1)"

CMD ["deno", "task", "start"]
