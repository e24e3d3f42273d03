import assert from "node:assert/strict";
import { encodeAs, twoToneImage } from "../helpers/images.ts";
import { startTestServer } from "../helpers/test_server.ts";

Deno.test("profile picture uploads refuse parts other than `file`, naming them", async (t) => {
  const server = await startTestServer();
  try {
    const { access_token: token } = await server.register("parts@example.com");
    const png = new Blob([await encodeAs(twoToneImage(100, 100), "png")]);
    const send = (form: FormData) =>
      server.api("POST", "/users/me/profile-picture", { token, body: form });
    const sendRaw = async (body: Uint8Array<ArrayBuffer>) => {
      const response = await fetch(`${server.url}/api/v1/users/me/profile-picture`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "multipart/form-data; boundary=b",
        },
        body,
      });
      return { status: response.status, body: await response.json() };
    };
    const pictureIsUnset = async () =>
      assert.equal((await server.api("GET", "/users/me", { token })).body.profile_picture, null);

    await t.step("-F foo=bar -F file=@x.png is 400 `Unknown field: foo`", async () => {
      const form = new FormData();
      form.set("foo", "bar");
      form.set("file", png, "x.png");
      const res = await send(form);
      assert.deepEqual([res.status, res.body.detail, res.body.code], [
        400,
        "Unknown field: foo",
        "VALIDATION_ERROR",
      ]);
      assert.deepEqual(res.body.errors, [{ field: "foo", message: "Unknown field: foo" }]);
      await pictureIsUnset();
    });

    await t.step("an unknown file part is refused too", async () => {
      const form = new FormData();
      form.set("file", png, "x.png");
      form.set("avatar", png, "y.png");
      const res = await send(form);
      assert.deepEqual([res.status, res.body.detail], [400, "Unknown field: avatar"]);
      await pictureIsUnset();
    });

    await t.step("a part with an empty or missing name is a clear 400", async () => {
      const bytes = new Uint8Array(await png.arrayBuffer());
      for (const disposition of ['form-data; name=""', "form-data"]) {
        const head = new TextEncoder().encode(
          `--b\r\nContent-Disposition: ${disposition}\r\n\r\nx\r\n` +
            `--b\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\n` +
            `Content-Type: image/png\r\n\r\n`,
        );
        const tail = new TextEncoder().encode("\r\n--b--\r\n");
        const body = new Uint8Array([...head, ...bytes, ...tail]);
        const res = await sendRaw(body);
        assert.deepEqual(
          [res.status, res.body.detail],
          [400, "Form part without a name"],
          disposition,
        );
      }
      await pictureIsUnset();
    });

    await t.step("tRPC's FormData gets the same answer", async () => {
      const form = new FormData();
      form.set("file", png, "x.png");
      form.set("note", "hi");
      const error = await server.trpc(token).users.uploadProfilePicture.mutate(form).catch((e) =>
        e
      );
      assert.equal(error.data.detail, "Unknown field: note");
      await pictureIsUnset();
    });

    await t.step("the file alone is accepted", async () => {
      const form = new FormData();
      form.set("file", png, "x.png");
      assert.equal((await send(form)).status, 200);
    });
  } finally {
    await server.close();
  }
});
