import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { AuthError } from "../errors.ts";
import { FakeClock, FakeNode, memoryLogger } from "./_testing.ts";
import type { AuthAttemptResult } from "./login.ts";
import { AuthStore, type AuthStoreOptions } from "./store.ts";

const FAST = { N: 1024, r: 8, p: 1 };

function open(node: FakeNode, extra: Partial<AuthStoreOptions> = {}) {
  const { logger, lines } = memoryLogger();
  const attempts: AuthAttemptResult[] = [];
  const auth = AuthStore.open(node, {
    tokenTtlSec: 60,
    logger,
    scrypt: FAST,
    onAttempt: (r) => attempts.push(r),
    sweepIntervalMs: 60_000,
    ...extra,
  });
  return { auth, lines, attempts };
}

async function withRoot(auth: AuthStore): Promise<void> {
  await auth.addUser("root", "rootpw", false);
  await auth.grantRole("root", "root");
  await auth.enable();
}

function code(c: string) {
  return (err: unknown) => err instanceof AuthError && err.code === c;
}

Deno.test("AuthStore jobs of one batch see each other: a second add fails", async () => {
  const node = new FakeNode();
  using auth = open(node).auth;
  const users = await Promise.allSettled([
    auth.addUser("alice", "a", false),
    auth.addUser("alice", "b", false),
  ]);
  // the two hashes finish in either order; exactly one add wins
  deepStrictEqual(users.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
  const lost = users.find((r) => r.status === "rejected") as PromiseRejectedResult;
  ok(code("user-exists")(lost.reason));
  // role jobs queue synchronously, so these share one batch
  const roles = await Promise.allSettled([
    auth.addRole("r"),
    auth.addRole("r"),
    auth.grantRole("alice", "r"),
  ]);
  deepStrictEqual(roles.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
  ok(code("role-exists")((roles[1] as PromiseRejectedResult).reason));
  deepStrictEqual(auth.getUser("alice"), ["r"]);
});

Deno.test("AuthStore forgets the pending changes of an aborted batch", async () => {
  const node = new FakeNode();
  using auth = open(node).auth;
  node.failNextBatch = true;
  await rejects(auth.addUser("alice", "a", false));
  deepStrictEqual(auth.listUsers(), []);
  await auth.addUser("alice", "a", false);
  deepStrictEqual(auth.listUsers(), ["alice"]);
});

Deno.test("AuthStore changes never advance the store revision", async () => {
  const node = new FakeNode();
  using auth = open(node).auth;
  await withRoot(auth);
  await auth.authenticate("root", "rootpw");
  deepStrictEqual(node.store.revision, 1);
  ok(node.store.appliedSeq >= 4);
});

Deno.test("AuthStore.enable() needs user root with role root", async () => {
  const node = new FakeNode();
  using auth = open(node).auth;
  await rejects(auth.enable(), code("root-missing"));
  await auth.addUser("root", "pw", false);
  await rejects(auth.enable(), code("root-role-missing"));
  await rejects(auth.enableAtStartup(), /user root does not have role root/);
  await auth.grantRole("root", "root"); // role root need not exist
  await auth.enable();
  deepStrictEqual(auth.enabled, true);
  await auth.enable(); // a no-op
});

Deno.test("AuthStore.authenticate() issues tokens that survive a restart", async () => {
  const node = new FakeNode();
  const clock = new FakeClock();
  const first = open(node, { now: clock.now });
  await withRoot(first.auth);
  const token = await first.auth.authenticate("root", "rootpw");
  ok(/^[A-Za-z]{32}\.\d+$/.test(token));
  first.auth.close();

  clock.t += 30_000;
  const again = new FakeNode(node.backend);
  using auth = open(again, { now: clock.now }).auth;
  deepStrictEqual(auth.enabled, true);
  deepStrictEqual(auth.state.tokens.use(token), "root");
  deepStrictEqual(auth.state.tokens.use("nope.1"), undefined);
});

Deno.test("AuthStore tokens die after the idle TTL, are renewed by use, and are swept", async () => {
  const node = new FakeNode();
  const clock = new FakeClock();
  using auth = open(node, { now: clock.now, tokenTtlSec: 10, sweepIntervalMs: 20 }).auth;
  await withRoot(auth);
  const busy = await auth.authenticate("root", "rootpw");
  const idle = await auth.authenticate("root", "rootpw");
  for (let i = 0; i < 3; i++) {
    clock.t += 6_000;
    deepStrictEqual(auth.state.tokens.use(busy), "root");
  }
  deepStrictEqual(auth.state.tokens.use(idle), undefined);
  for (let i = 0; i < 100 && auth.state.tokens.size > 1; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  deepStrictEqual(auth.state.tokens.size, 1);
  const restarted = new FakeNode(node.backend);
  using after = open(restarted, { now: clock.now }).auth;
  deepStrictEqual(after.state.tokens.size, 1);
});

Deno.test("AuthStore: deleting a user or changing its password invalidates its tokens", async () => {
  const node = new FakeNode();
  using auth = open(node).auth;
  await withRoot(auth);
  await auth.addUser("alice", "a", false);
  await auth.addUser("bob", "b", false);
  const a = await auth.authenticate("alice", "a");
  const b = await auth.authenticate("bob", "b");
  await auth.changePassword("bob", "b2");
  deepStrictEqual(auth.state.tokens.use(b), undefined);
  await rejects(auth.authenticate("bob", "b"), code("auth-failed"));
  await auth.authenticate("bob", "b2");
  deepStrictEqual(auth.state.tokens.use(a), "alice");
  await auth.deleteUser("alice");
  deepStrictEqual(auth.state.tokens.use(a), undefined);
});

Deno.test("AuthStore: a login racing a delete of its user issues no token", async () => {
  const node = new FakeNode();
  using auth = open(node).auth;
  await withRoot(auth);
  await auth.addUser("alice", "a", false);
  const login = auth.authenticate("alice", "a");
  await auth.deleteUser("alice");
  await rejects(login, code("auth-failed"));
  deepStrictEqual([...auth.state.tokens.entries()].filter(([, u]) => u === "alice"), []);
});

Deno.test("AuthStore.authenticate() locks a user out after five failures", async () => {
  const node = new FakeNode();
  const clock = new FakeClock();
  const { auth, lines, attempts } = open(node, { now: clock.now });
  using _ = auth;
  await withRoot(auth);
  for (let i = 0; i < 5; i++) {
    await rejects(auth.authenticate("root", "wrong"), code("auth-failed"));
  }
  // the right password is refused with the same error while locked
  await rejects(auth.authenticate("root", "rootpw"), code("auth-failed"));
  deepStrictEqual(attempts, ["fail", "fail", "fail", "fail", "fail", "locked"]);
  ok(lines.some((l) => l.includes("user locked out")));
  ok(lines.some((l) => l.includes("locked out") && l.includes("root")));
  clock.t += 15 * 60_000;
  await auth.authenticate("root", "rootpw");
  deepStrictEqual(attempts.at(-1), "success");
  ok(!lines.some((l) => l.includes("rootpw") || l.includes("wrong")));
});

Deno.test("AuthStore.authenticate() refuses unknown users, no-password users, and auth off", async () => {
  const node = new FakeNode();
  using auth = open(node).auth;
  await auth.addUser("np", "", true);
  await rejects(auth.authenticate("np", ""), code("auth-not-enabled"));
  await withRoot(auth);
  await rejects(auth.authenticate("np", ""), code("auth-failed"));
  await rejects(auth.authenticate("nobody", "x"), code("auth-failed"));
  await rejects(auth.authenticate("", "x"), code("auth-failed"));
});

Deno.test("AuthStore.disable() ends every token", async () => {
  const node = new FakeNode();
  using auth = open(node).auth;
  await withRoot(auth);
  const token = await auth.authenticate("root", "rootpw");
  await auth.disable();
  await auth.enable();
  deepStrictEqual(auth.state.tokens.use(token), undefined);
  deepStrictEqual(auth.state.tokens.size, 0);
});

Deno.test("AuthStore protects root while auth is enabled", async () => {
  const node = new FakeNode();
  using auth = open(node).auth;
  await auth.addRole("root");
  await withRoot(auth);
  await rejects(auth.deleteUser("root"), code("invalid-auth-mgmt"));
  await rejects(auth.deleteRole("root"), code("invalid-auth-mgmt"));
  await rejects(auth.revokeRole("root", "root"), code("invalid-auth-mgmt"));
  await auth.disable();
  await auth.deleteRole("root");
  deepStrictEqual(auth.getUser("root"), []);
  await auth.deleteUser("root");
});

Deno.test("AuthStore role rules follow etcd", async (t) => {
  const node = new FakeNode();
  using auth = open(node).auth;
  await auth.addUser("u", "p", false);
  await t.step("empty names", async () => {
    await rejects(auth.addUser("", "p", false), code("user-empty"));
    await rejects(auth.addRole(""), code("role-empty"));
  });
  await t.step("missing users and roles", async () => {
    await rejects(auth.grantRole("u", "nosuch"), code("role-not-found"));
    await rejects(auth.grantRole("nosuch", "r"), code("user-not-found"));
    await rejects(auth.revokeRole("u", "r"), code("role-not-granted"));
    await rejects(
      auth.grantPermission("nosuch", { type: "read", key: "a", rangeEnd: "" }),
      code("role-not-found"),
    );
  });
  await t.step("granting twice is silent; deleting a role revokes it", async () => {
    await auth.addRole("r");
    await auth.grantRole("u", "r");
    await auth.grantRole("u", "r");
    await auth.addRole("a-first");
    await auth.grantRole("u", "a-first");
    deepStrictEqual(auth.getUser("u"), ["a-first", "r"]);
    await auth.deleteRole("r");
    deepStrictEqual(auth.getUser("u"), ["a-first"]);
  });
  await t.step("permissions sort by key; a repeated range changes its type", async () => {
    await auth.addRole("p");
    await auth.grantPermission("p", { type: "read", key: "z", rangeEnd: "\0" });
    await auth.grantPermission("p", { type: "read", key: "a", rangeEnd: "c" });
    await auth.grantPermission("p", { type: "write", key: "a", rangeEnd: "c" });
    deepStrictEqual(auth.getRole("p"), [
      { type: "write", key: "a", rangeEnd: "c" },
      { type: "read", key: "z", rangeEnd: "\0" },
    ]);
    await rejects(
      auth.revokePermission("p", { key: "a", rangeEnd: "" }),
      code("permission-not-granted"),
    );
    await auth.revokePermission("p", { key: "a", rangeEnd: "c" });
    deepStrictEqual(auth.getRole("p").length, 1);
  });
});
