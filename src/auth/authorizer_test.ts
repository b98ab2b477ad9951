import { deepStrictEqual, throws } from "node:assert/strict";
import { AuthError } from "../errors.ts";
import type { TxnRequest } from "../mvcc/mod.ts";
import { FakeNode, memoryLogger } from "./_testing.ts";
import { Authorizer, type Credentials } from "./authorizer.ts";
import { AuthStore } from "./store.ts";

const FAST = { N: 1024, r: 8, p: 1 };

function creds(token?: string, commonName?: string): Credentials {
  return { metadata: (k) => (k === "token" ? token : undefined), commonName };
}

function code(c: string) {
  return (err: unknown) => err instanceof AuthError && err.code === c;
}

/** root, alice (readwrite /app/ prefix, read "cfg"), and auth on. */
async function setup(t: { trustCommonName?: boolean } = {}) {
  const node = new FakeNode();
  const auth = AuthStore.open(node, {
    tokenTtlSec: 60,
    logger: memoryLogger().logger,
    scrypt: FAST,
    sweepIntervalMs: 60_000,
  });
  const authz = new Authorizer(auth.state, { trustCommonName: t.trustCommonName ?? false });
  const open = creds();
  authz.range(open, "anything"); // auth off: everything but \x00auth/ is open
  await auth.addUser("root", "r", false);
  await auth.grantRole("root", "root");
  await auth.addUser("alice", "a", false);
  await auth.addRole("app");
  await auth.grantPermission("app", { type: "readwrite", key: "/app/", rangeEnd: "/app0" });
  await auth.grantPermission("app", { type: "read", key: "cfg", rangeEnd: "" });
  await auth.grantRole("alice", "app");
  await auth.enable();
  const alice = creds(await auth.authenticate("alice", "a"));
  const root = creds(await auth.authenticate("root", "r"));
  return { auth, authz, alice, root };
}

const put = (key: string) => ({ put: { key, value: new Uint8Array() } });

Deno.test("Authorizer.user() needs a token or, with mTLS only, a certificate", async () => {
  const { auth, authz } = await setup();
  using _ = auth;
  throws(() => authz.user(creds()), code("user-empty"));
  throws(() => authz.user(creds("bogus.1")), code("invalid-token"));
  throws(() => authz.user(creds(undefined, "alice")), code("user-empty"));
  const mtls = new Authorizer(auth.state, { trustCommonName: true });
  deepStrictEqual(mtls.user(creds(undefined, "alice")), "alice");
  throws(() => mtls.range(creds(undefined, "ghost"), "/app/x"), code("permission-denied"));
});

Deno.test("Authorizer.txn() checks compares and both branches, nested Txns included", async () => {
  const { auth, authz, alice, root } = await setup();
  using _ = auth;
  const keys = () => [];
  const ok: TxnRequest = {
    compare: [{ key: "cfg", target: "version", result: "equal" }],
    success: [put("/app/a"), { range: { key: "/app/", rangeEnd: "/app0" } }],
    failure: [{ deleteRange: { key: "/app/b" } }],
  };
  authz.txn(alice, ok, keys);
  const denied: TxnRequest[] = [
    { ...ok, compare: [{ key: "secret", target: "version", result: "equal" }] },
    { ...ok, failure: [put("secret")] },
    { ...ok, success: [put("cfg")] },
    { ...ok, failure: [{ deleteRange: { key: "/app/", rangeEnd: "\0" } }] },
    { ...ok, success: [{ txn: { compare: [], success: [], failure: [put("secret")] } }] },
  ];
  for (const txn of denied) {
    throws(() => authz.txn(alice, txn, keys), code("permission-denied"));
    authz.txn(root, txn, keys);
  }
});

Deno.test("Authorizer refuses \\x00auth/ to root too, and only as a start key", async () => {
  const { auth, authz, root } = await setup();
  using _ = auth;
  const keys = () => [];
  throws(() => authz.range(root, "\x00auth/u"), code("permission-denied"));
  throws(
    () => authz.put(root, { key: "\x00auth/u", value: new Uint8Array() }, keys),
    code("permission-denied"),
  );
  throws(
    () => authz.deleteRange(root, { key: "\x00auth/", rangeEnd: "\0" }),
    code("permission-denied"),
  );
  throws(
    () => authz.txn(root, { compare: [], success: [], failure: [put("\x00auth/x")] }, keys),
    code("permission-denied"),
  );
  authz.range(root, "\0", "\0");
});

Deno.test("Authorizer: prev_kv needs READ, a lease's keys need WRITE", async () => {
  const { auth, authz, alice } = await setup();
  using _ = auth;
  const none = () => [];
  throws(
    () => authz.put(alice, { key: "cfg", value: new Uint8Array(), prevKv: true }, none),
    code("permission-denied"),
  );
  authz.deleteRange(alice, { key: "/app/", rangeEnd: "/app0", prevKv: true });
  const leased = { key: "/app/x", value: new Uint8Array(), lease: 7n };
  authz.put(alice, leased, () => ["/app/y"]);
  throws(() => authz.put(alice, leased, () => ["/app/y", "other"]), code("permission-denied"));
  throws(() => authz.keys(alice, "write", ["/app/y", "cfg"]), code("permission-denied"));
  authz.keys(alice, "read", ["/app/y", "cfg"]);
});

Deno.test("Authorizer admin rules: root; yourself for UserGet; a holder for RoleGet", async () => {
  const { auth, authz, alice, root } = await setup();
  using _ = auth;
  authz.admin(root);
  throws(() => authz.admin(alice), code("permission-denied"));
  throws(() => authz.admin(creds()), code("user-empty"));
  authz.adminOrSelf(alice, "alice");
  throws(() => authz.adminOrSelf(alice, "root"), code("permission-denied"));
  authz.adminOrHolder(alice, "app");
  throws(() => authz.adminOrHolder(alice, "root"), code("permission-denied"));
  throws(
    () => authz.maintenance(alice),
    (e) =>
      e instanceof AuthError && e.code === "auth-raw" && e.message === "auth: permission denied",
  );
  throws(
    () => authz.maintenance(creds()),
    (e) => e instanceof AuthError && e.message === "auth: user name is empty",
  );
});
