// A real OpenID provider for tests, run under Node (`/usr/bin/node tests/helpers/oidc_provider.mjs`):
// oauth2-mock-server on 127.0.0.1 with a real discovery document, JWKS and RS256-signed ID tokens.
// It prints one JSON line `{ "issuer", "control" }` and serves a control endpoint where a test sets
// what the next ID token says: `POST /next {claims, wrongKey}` (claims merged into the payload,
// `wrongKey` re-signs it with a key that is not in the JWKS). Stops on SIGTERM or stdin's end.
import { generateKeyPairSync, sign } from "node:crypto";
import { createServer } from "node:http";
import { OAuth2Server } from "oauth2-mock-server";

const provider = new OAuth2Server();
await provider.issuer.keys.generate("RS256");
await provider.start(0, "127.0.0.1");
const port = provider.address().port;
provider.issuer.url = `http://127.0.0.1:${port}`;

const rogue = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
let next = { claims: {}, wrongKey: false };

const b64url = (value) => Buffer.from(value).toString("base64url");

provider.service.on("beforeTokenSigning", (token) => {
  if (token.payload.aud === undefined) return; // the access token; the ID token carries `aud`
  Object.assign(token.payload, next.claims);
  for (const [key, value] of Object.entries(token.payload)) {
    if (value === null) delete token.payload[key];
  }
});

provider.service.on("beforeResponse", (response) => {
  const idToken = response.body?.id_token;
  if (typeof idToken === "string" && next.wrongKey) {
    const [header, payload] = idToken.split(".");
    const input = `${header}.${payload}`;
    response.body.id_token = `${input}.${b64url(sign("sha256", Buffer.from(input), rogue))}`;
  }
  next = { claims: {}, wrongKey: false };
});

const control = createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => body += chunk);
  req.on("end", () => {
    next = { claims: {}, wrongKey: false, ...JSON.parse(body || "{}") };
    res.writeHead(204).end();
  });
});
control.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({
    issuer: provider.issuer.url,
    control: `http://127.0.0.1:${control.address().port}/next`,
  }));
});

const stop = async () => {
  control.close();
  await provider.stop();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
