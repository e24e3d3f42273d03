import assert from "node:assert/strict";
import { createVestibuleClient } from "../../src/client/rest_client.ts";
import { startTestServer } from "../helpers/test_server.ts";

Deno.test("createVestibuleClient() sends the current token, reads typed answers and typed errors", async () => {
  const server = await startTestServer();
  try {
    const session: { token?: string } = {};
    const api = createVestibuleClient(server.url, () => session.token);

    const anonymous = await api.GET("/users/me");
    assert.equal(anonymous.response.status, 401);
    assert.equal(anonymous.error?.code, "NOT_AUTHENTICATED");

    const signedUp = await api.POST("/auth/register", {
      body: { email: "rest-client@example.com", password: "secure123", name: "Rest Client" },
    });
    assert.equal(signedUp.response.status, 201);
    session.token = signedUp.data!.access_token;

    const me = await api.GET("/users/me");
    assert.equal(me.data?.email, "rest-client@example.com");

    const revoked = await api.DELETE("/users/me/sessions/{id}", {
      params: { path: { id: crypto.randomUUID() } },
    });
    assert.equal(revoked.error?.code, "SESSION_NOT_FOUND");
    assert.equal(revoked.error?.detail, "Session not found");
  } finally {
    await server.close();
  }
});

Deno.test("createVestibuleClient() accepts a base URL that already ends in /api/v1", async () => {
  const server = await startTestServer();
  try {
    for (const base of [`${server.url}/api/v1`, `${server.url}/api/v1/`, `${server.url}/`]) {
      const api = createVestibuleClient(base, () => null);
      const { response, error } = await api.POST("/auth/login", {
        body: { email: "nobody@example.com", password: "wrong-password" },
      });
      assert.equal(response.status, 401, base);
      assert.equal(error?.code, "INVALID_CREDENTIALS");
    }
  } finally {
    await server.close();
  }
});
