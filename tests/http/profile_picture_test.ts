import assert from "node:assert/strict";
import { decode, Image } from "imagescript";
import { sweepFiles } from "../../src/jobs/sweep_files.ts";
import { encodeAs, pngHeaderOnly, twoToneImage } from "../helpers/images.ts";
import { startTestServer, type TestServer } from "../helpers/test_server.ts";

function upload(server: TestServer, token: string, file?: Blob, name = "picture.jpg") {
  const form = new FormData();
  if (file !== undefined) form.set("file", file, name);
  return server.api("POST", "/users/me/profile-picture", { token, body: form });
}

async function filesOf(server: TestServer, userId: string): Promise<string[]> {
  return (await server.deps.uploads.list(`profiles/${userId}`)).map((f) => f.key).sort();
}

Deno.test("profile picture upload over REST", async (t) => {
  const server = await startTestServer();
  try {
    const { access_token: token, user } = await server.register("pic@example.com");
    let first = "";

    for (const type of ["jpeg", "png", "webp"] as const) {
      await t.step(`a ${type} is stored as a JPEG fitted into 400x400 and served`, async () => {
        const bytes = await encodeAs(twoToneImage(1000, 500), type);
        const res = await upload(server, token, new Blob([bytes]));
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.message, "Profile picture updated");
        assert.match(
          res.body.profile_picture,
          new RegExp(`^/uploads/profiles/${user.id}/[0-9a-f-]{36}\\.jpg$`),
        );
        first ||= res.body.profile_picture;
        const me = await server.api("GET", "/users/me", { token });
        assert.equal(me.body.profile_picture, res.body.profile_picture);
        const served = await fetch(`${server.url}${res.body.profile_picture}`);
        assert.equal(served.status, 200);
        assert.equal(served.headers.get("content-type"), "image/jpeg");
        assert.equal(served.headers.get("x-content-type-options"), "nosniff");
        assert.match(served.headers.get("cache-control")!, /immutable/);
        const image = await decode(new Uint8Array(await served.arrayBuffer())) as Image;
        assert.deepEqual([image.width, image.height], [400, 200]);
      });
    }

    await t.step("each replacement deletes the old file: one file remains", async () => {
      assert.equal((await filesOf(server, user.id)).length, 1);
      assert.equal((await fetch(`${server.url}${first}`)).status, 404);
    });

    await t.step("the ETag answers a conditional request with 304", async () => {
      const me = await server.api("GET", "/users/me", { token });
      const served = await fetch(`${server.url}${me.body.profile_picture}`);
      await served.body?.cancel();
      const again = await fetch(`${server.url}${me.body.profile_picture}`, {
        headers: { "if-none-match": served.headers.get("etag")! },
      });
      assert.equal(again.status, 304);
    });

    await t.step("a PNG named .jpg is accepted: the type comes from the content", async () => {
      const png = await encodeAs(twoToneImage(100, 100), "png");
      const res = await upload(server, token, new Blob([png], { type: "image/jpeg" }), "photo.jpg");
      assert.equal(res.status, 200);
    });

    const before = await server.api("GET", "/users/me", { token });
    const refusals: [string, () => Promise<Blob | undefined>, string][] = [
      [
        "a text file named .jpg",
        () => Promise.resolve(new Blob(["hello, this is text"], { type: "image/jpeg" })),
        "Only JPEG, PNG, and WebP images are allowed",
      ],
      ["an empty form", () => Promise.resolve(undefined), "No file uploaded"],
      ["an empty file", () => Promise.resolve(new Blob([])), "No file uploaded"],
      [
        "a 6 MB file",
        () => Promise.resolve(new Blob([new Uint8Array(6 * 1024 * 1024)])),
        "File size exceeds 5MB limit",
      ],
      [
        "a 3000x10 image",
        async () => new Blob([await encodeAs(twoToneImage(3000, 10), "png")]),
        "Image dimensions must not exceed 2000x2000 pixels",
      ],
      [
        "a tiny file declaring 30000x30000",
        () => Promise.resolve(new Blob([pngHeaderOnly(30000, 30000)])),
        "Image dimensions must not exceed 2000x2000 pixels",
      ],
      [
        "a truncated JPEG",
        async () => new Blob([(await encodeAs(twoToneImage(300, 300), "jpeg")).slice(0, 500)]),
        "The file is not a readable image",
      ],
    ];
    for (const [name, file, detail] of refusals) {
      await t.step(`${name} is refused with 400 "${detail}" and changes nothing`, async () => {
        const res = await upload(server, token, await file());
        assert.deepEqual([res.status, res.body.detail], [400, detail]);
        const me = await server.api("GET", "/users/me", { token });
        assert.equal(me.body.profile_picture, before.body.profile_picture);
        assert.equal((await filesOf(server, user.id)).length, 1);
      });
    }

    await t.step("a 50 MB upload is refused from its declared length, unread", async () => {
      // fetch() will not send a Content-Length it did not compute: speak HTTP/1.1 by hand, send
      // the headers and 1 KB of the promised 50 MB, and read the answer.
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      const head = [
        "POST /api/v1/users/me/profile-picture HTTP/1.1",
        `Host: 127.0.0.1:${server.port}`,
        `Authorization: Bearer ${token}`,
        "Content-Type: multipart/form-data; boundary=x",
        `Content-Length: ${50 * 1024 * 1024}`,
        "Connection: close",
        "",
        "",
      ].join("\r\n");
      await conn.write(new TextEncoder().encode(head));
      await conn.write(new Uint8Array(1024));
      const reply = new Uint8Array(4096);
      const n = await conn.read(reply);
      conn.close();
      const text = new TextDecoder().decode(reply.subarray(0, n ?? 0));
      assert.match(text, /^HTTP\/1\.1 400/);
      assert.match(text, /File size exceeds 5MB limit/);
    });

    await t.step("a chunked body is cut off at the limit", async () => {
      const chunk = new Uint8Array(1024 * 1024);
      let sent = 0;
      const res = await fetch(`${server.url}/api/v1/users/me/profile-picture`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "multipart/form-data; boundary=x",
        },
        body: new ReadableStream({
          pull: (c) => (sent++ < 50 ? c.enqueue(chunk) : c.close()),
        }),
      });
      assert.equal(res.status, 400);
      assert.equal((await res.json()).detail, "File size exceeds 5MB limit");
      assert.ok(sent < 50, `read ${sent} MB of 50`);
    });

    await t.step("JSON instead of a form is 415", async () => {
      const res = await server.api("POST", "/users/me/profile-picture", {
        token,
        body: { file: "x" },
      });
      assert.deepEqual([res.status, res.body.detail], [
        415,
        "Content-Type must be multipart/form-data",
      ]);
    });

    await t.step("without a token it is 401", async () => {
      const res = await upload(server, "", new Blob([await encodeAs(twoToneImage(10, 10), "png")]));
      assert.equal(res.status, 401);
    });

    await t.step("DELETE removes the picture and its file", async () => {
      const res = await server.api("DELETE", "/users/me/profile-picture", { token });
      assert.deepEqual([res.status, res.body], [200, { message: "Profile picture removed" }]);
      const me = await server.api("GET", "/users/me", { token });
      assert.equal(me.body.profile_picture, null);
      assert.deepEqual(await filesOf(server, user.id), []);
      assert.equal((await fetch(`${server.url}${before.body.profile_picture}`)).status, 404);
      const again = await server.api("DELETE", "/users/me/profile-picture", { token });
      assert.equal(again.status, 200);
    });
  } finally {
    await server.close();
  }
});

Deno.test("profile picture through @trpc/client with FormData", async () => {
  const server = await startTestServer();
  try {
    const { access_token } = await server.register("trpcpic@example.com");
    const client = server.trpc(access_token);
    const form = new FormData();
    form.set("file", new Blob([await encodeAs(twoToneImage(500, 500), "webp")]), "me.webp");
    const uploaded = await client.users.uploadProfilePicture.mutate(form);
    assert.equal(uploaded.message, "Profile picture updated");
    assert.equal((await client.users.me.query()).profile_picture, uploaded.profile_picture);
    const error = await client.users.uploadProfilePicture.mutate(new FormData()).catch((e) => e);
    assert.equal(error.data.detail, "No file uploaded");
    assert.deepEqual(await client.users.removeProfilePicture.mutate(), {
      message: "Profile picture removed",
    });
  } finally {
    await server.close();
  }
});

Deno.test("a picture that takes too long is abandoned with an error", async () => {
  const server = await startTestServer({ IMAGE_TIMEOUT_MS: "100" });
  try {
    const { access_token } = await server.register("slow@example.com");
    const big = await encodeAs(twoToneImage(2000, 2000), "jpeg");
    const res = await upload(server, access_token, new Blob([big]));
    assert.deepEqual([res.status, res.body.detail], [400, "Image processing took too long"]);
    const small = await upload(
      server,
      access_token,
      new Blob([await encodeAs(twoToneImage(20, 20), "png")]),
    );
    assert.equal(small.status, 200, "the pool replaced the abandoned worker");
  } finally {
    await server.close();
  }
});

Deno.test("/uploads serves only files inside the upload directory", async () => {
  const server = await startTestServer();
  try {
    await Deno.writeTextFile(`${server.dataDir}/secret.jpg`, "not for you");
    await server.deps.uploads.put("profiles/x/a.jpg", new Uint8Array([0xff, 0xd8, 0xff]));
    assert.equal((await fetch(`${server.url}/uploads/profiles/x/a.jpg`)).status, 200);
    for (
      const path of [
        "/uploads/../secret.jpg",
        "/uploads/%2e%2e/secret.jpg",
        "/uploads/..%2fsecret.jpg",
        "/uploads/profiles/x/..%2f..%2f..%2fsecret.jpg",
        "/uploads/%2fetc%2fpasswd",
        "/uploads/profiles/x/a.jpg%00.png",
        "/uploads/profiles/x/..\\..\\..\\secret.jpg",
        "/uploads/profiles/x",
        "/uploads/profiles/x/missing.jpg",
        "/uploads/profiles/x/%zz.jpg",
        "/uploads/../vestibule.sqlite",
      ]
    ) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal((await res.json()).detail, "Not found");
    }
  } finally {
    await server.close();
  }
});

Deno.test("sweep-files removes orphans past the safety age and keeps live files", async () => {
  const server = await startTestServer();
  try {
    const { access_token, user } = await server.register("sweep@example.com");
    const res = await upload(
      server,
      access_token,
      new Blob([await encodeAs(twoToneImage(50, 50), "png")]),
    );
    const live = res.body.profile_picture.slice("/uploads/".length);
    const orphan = `profiles/${user.id}/orphan.jpg`;
    await server.deps.uploads.put(orphan, new Uint8Array([1, 2, 3]));
    await Deno.writeFile(
      `${server.deps.uploads.root}/profiles/${user.id}/.tmp-crashed`,
      new Uint8Array([1]),
    );

    assert.deepEqual(
      await sweepFiles(server.deps, new Date()),
      { files_removed: 0, files_kept: 3 },
      "too young",
    );
    const later = new Date(Date.now() + 2 * 3600_000);
    assert.deepEqual(await sweepFiles(server.deps, later), { files_removed: 2, files_kept: 1 });
    assert.deepEqual(await filesOf(server, user.id), [live]);
    assert.equal((await fetch(`${server.url}${res.body.profile_picture}`)).status, 200);
  } finally {
    await server.close();
  }
});
