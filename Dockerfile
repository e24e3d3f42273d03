# Vestibule: one process, one SQLite file under /data.
# The base is Debian slim with Deno: bash and coreutils, but neither curl nor wget, so the
# healthcheck speaks HTTP through bash's /dev/tcp instead of starting a Deno process per check.
FROM denoland/deno:2.9.6

WORKDIR /app
ENV DATA_DIR=/data PORT=8000 DENO_NO_UPDATE_CHECK=1

# Packages only the tests use, left out of the image (tests/docker_test.ts keeps this list true).
ARG DEV_ONLY="fast-check smtp-server @types/nodemailer oslo ajv oauth2-mock-server svix @types/pg"

# The application is owned by root: the service user can read it, never change it.
COPY deno.json deno.lock ./
COPY db/ db/
COPY src/ src/
# Drop the dev-only imports, then install what the server, the CLI and the Workers (loaded by
# URL at run time) import. Not --frozen: dropping imports prunes deno.lock, while every package
# that remains keeps its locked version and integrity. The cache stays the service user's, for
# Deno's code cache; /data is the only other place it writes.
RUN deno eval 'const file = "deno.json"; const config = JSON.parse(Deno.readTextFileSync(file)); \
      for (const name of Deno.env.get("DEV_ONLY").split(" ")) { \
        delete config.imports[name]; delete config.imports[`${name}/`]; } \
      Deno.writeTextFileSync(file, JSON.stringify(config, null, 2));' \
  && deno install --entrypoint src/main.ts src/cli.ts src/images/worker.ts \
      src/jobs/purge_worker.ts src/services/password_worker.ts src/data/commit_worker.ts \
  && chown -R deno:deno "$DENO_DIR" \
  && mkdir -p /data && chown deno:deno /data

USER deno
VOLUME ["/data"]
EXPOSE 8000

# Ready means the database answers and is migrated (/readyz); it follows PORT when overridden.
HEALTHCHECK --interval=30s --timeout=3s --start-period=15s \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT:-8000} && printf 'GET /readyz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

# Deno itself as the main process (under the image's tini), so SIGTERM reaches the server.
CMD ["deno", "run", "--allow-all", "src/main.ts"]
