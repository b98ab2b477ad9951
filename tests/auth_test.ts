/**
 * Auth scenarios against the real server process, mostly through etcdctl 3.4: enable and
 * disable, wrong passwords, expired and restarted tokens, range permissions (prefix, range,
 * from-key), Txn and Watch permissions, role and user changes taking effect at once, the
 * `\x00auth/` rule, the brute-force lockout, and a scan of the server's stderr (and data
 * directory) for every password and token used.
 */

import { deepStrictEqual, match, ok } from "node:assert/strict";
import { GrpcClient } from "../src/server/grpc.ts";
import * as pb from "../src/server/pb/mod.ts";
import { etcdctl, startServer, type TestServer } from "./_server.ts";
import { EtcdTestClient } from "./_etcd_client.ts";

const te = new TextEncoder();
const ROOT_PW = "Root-Pw-4417";
const ALICE_PW = "Alice-Pw-9302";

/** etcdctl as `user:password` (no user: anonymous). */
function ctl(srv: TestServer, args: string[], as?: string, stdin?: string) {
  const user = as === undefined ? [] : [`--user=${as}`];
  return etcdctl(srv.endpoint, [...user, ...args], stdin === undefined ? {} : { stdin });
}

/** Asserts an etcdctl result: exit code and a line of its output. */
function expect(res: { code: number; out: string }, code: number, line: string | RegExp) {
  const lines = res.out.split("\n");
  const found = typeof line === "string" ? lines.includes(line) : lines.some((l) => line.test(l));
  ok(res.code === code && found, `want exit ${code} and ${line}, got ${res.code}:\n${res.out}`);
}

/** `etcdctl watch`, killed after 10 s if the server does not end it. */
async function watchOnce(srv: TestServer, as: string, args: string[]) {
  const out = await new Deno.Command("timeout", {
    args: ["10", "etcdctl", `--endpoints=${srv.endpoint}`, `--user=${as}`, "watch", ...args],
    env: { ETCDCTL_API: "3" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, out: d.decode(out.stdout) + d.decode(out.stderr) };
}

/** A raw client that sends a token when asked. */
class Client implements Disposable {
  readonly raw: GrpcClient;
  constructor(endpoint: string) {
    this.raw = new GrpcClient(endpoint);
  }
  async token(name: string, password: string): Promise<string> {
    const bytes = await this.raw.unary(
      "/etcdserverpb.Auth/Authenticate",
      pb.encodeAuthenticateRequest({ name, password }),
    );
    return pb.decodeAuthenticateResponse(bytes).token;
  }
  /** Calls `path`; resolves with the response or the error's `code details`. */
  async call(path: string, request: Uint8Array, token?: string): Promise<Uint8Array | string> {
    try {
      return await this.raw.unary(path, request, token ? { metadata: { token } } : {});
    } catch (err: unknown) {
      const e = err as { code: number; details: string };
      return `${e.code} ${e.details}`;
    }
  }
  get(key: string, token?: string, rangeEnd = ""): Promise<Uint8Array | string> {
    const req = pb.encodeRangeRequest({ key: te.encode(key), rangeEnd: te.encode(rangeEnd) });
    return this.call("/etcdserverpb.KV/Range", req, token);
  }
  put(key: string, value: string, token?: string, lease = 0n): Promise<Uint8Array | string> {
    const req = pb.encodePutRequest({ key: te.encode(key), value: te.encode(value), lease });
    return this.call("/etcdserverpb.KV/Put", req, token);
  }
  [Symbol.dispose](): void {
    this.raw.close();
  }
}

const DENIED = "7 etcdserver: permission denied";
const INVALID_TOKEN = "16 etcdserver: invalid auth token";

/** Creates root (with role root) and enables auth. */
async function enableAuth(srv: TestServer): Promise<void> {
  expect(await ctl(srv, ["user", "add", `root:${ROOT_PW}`]), 0, "User root created");
  // etcdctl adds role root itself after "root user does not have root role"
  expect(await ctl(srv, ["auth", "enable"]), 0, "Authentication Enabled");
}

async function root(srv: TestServer, args: string[], stdin?: string) {
  const res = await ctl(srv, args, `root:${ROOT_PW}`, stdin);
  ok(res.code === 0, `etcdctl ${args.join(" ")} failed:\n${res.out}`);
  return res.out;
}

Deno.test("auth: enable, anonymous and wrong-password calls, disable, persistence", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "t4-auth-" });
  try {
    {
      await using srv = await startServer({ dataDir });
      await t.step("auth enable needs a root user", async () => {
        expect(
          await ctl(srv, ["auth", "enable"]),
          1,
          "Error: etcdserver: root user does not exist",
        );
      });
      await t.step("enable as etcdctl does it", () => enableAuth(srv));
      await t.step("anonymous calls: user name is empty", async () => {
        expect(await ctl(srv, ["get", "foo"]), 1, "Error: etcdserver: user name is empty");
        expect(await ctl(srv, ["put", "foo", "x"]), 1, "Error: etcdserver: user name is empty");
        expect(await ctl(srv, ["lease", "grant", "60"]), 1, /user name is empty/);
      });
      await t.step("wrong password: authentication failed, exit 2", async () => {
        const msg = "Error: etcdserver: authentication failed, invalid user ID or password";
        expect(await ctl(srv, ["get", "foo"], "root:nope"), 2, msg);
        expect(await ctl(srv, ["get", "foo"], "nobody:nope"), 2, msg);
      });
      await t.step("Status and MemberList need no permission", async () => {
        expect(await ctl(srv, ["endpoint", "status"]), 0, new RegExp(srv.endpoint));
        expect(await ctl(srv, ["member", "list"]), 0, new RegExp(srv.endpoint));
      });
      await t.step("root can do everything", async () => {
        deepStrictEqual(await root(srv, ["put", "foo", "bar"]), "OK\n");
        deepStrictEqual(await root(srv, ["get", "foo", "--print-value-only"]), "bar\n");
        deepStrictEqual(await root(srv, ["role", "list"]), "root\n");
      });
      await t.step("a non-root user cannot disable auth", async () => {
        await root(srv, ["user", "add", `alice:${ALICE_PW}`]);
        const res = await ctl(srv, ["auth", "disable"], `alice:${ALICE_PW}`);
        expect(res, 1, "Error: etcdserver: permission denied");
        expect(await ctl(srv, ["auth", "disable"]), 1, "Error: etcdserver: user name is empty");
      });
    }
    await t.step("auth stays enabled across a restart", async () => {
      await using srv = await startServer({ dataDir });
      expect(await ctl(srv, ["get", "foo"]), 1, "Error: etcdserver: user name is empty");
      deepStrictEqual(await root(srv, ["get", "foo", "--print-value-only"]), "bar\n");
      deepStrictEqual(await root(srv, ["auth", "disable"]), "Authentication Disabled\n");
      expect(await ctl(srv, ["get", "foo", "--print-value-only"]), 0, "bar");
    });
    await t.step("auth stays disabled across a restart", async () => {
      await using srv = await startServer({ dataDir });
      expect(await ctl(srv, ["get", "foo", "--print-value-only"]), 0, "bar");
      // etcdctl --user against auth off: Authenticate says so, and the call goes on
      expect(await ctl(srv, ["get", "foo", "--print-value-only"], `root:${ROOT_PW}`), 0, "bar");
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("auth: --auth-enabled needs root with role root and enables auth for good", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "t4-auth-" });
  try {
    await t.step("refused on a store without root, with one clear line", async () => {
      const err = await startServer({ dataDir, args: ["--auth-enabled"] }).then(
        () => undefined,
        (e: Error) => e.message,
      );
      match(err ?? "", /Cannot enable auth: the root user does not exist; start without/);
    });
    await t.step("--token-ttl must be positive", async () => {
      const err = await startServer({ dataDir, args: ["--token-ttl", "0"] }).then(
        () => undefined,
        (e: Error) => e.message,
      );
      match(err ?? "", /Invalid --token-ttl 0/);
    });
    {
      await using srv = await startServer({ dataDir });
      await root(srv, ["user", "add", `root:${ROOT_PW}`]);
      await root(srv, ["user", "grant-role", "root", "root"]);
    }
    await t.step("enabled at startup once root has role root", async () => {
      await using srv = await startServer({ dataDir, args: ["--auth-enabled"] });
      match(srv.log(), /serving etcd v3 API .*auth=on/);
      expect(await ctl(srv, ["get", "foo"]), 1, "Error: etcdserver: user name is empty");
    });
    await t.step("and still enabled without the flag", async () => {
      await using srv = await startServer({ dataDir });
      expect(await ctl(srv, ["get", "foo"]), 1, "Error: etcdserver: user name is empty");
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("auth: range permissions cover the whole prefix, range or from-key", async (t) => {
  await using srv = await startServer();
  await enableAuth(srv);
  const alice = `alice:${ALICE_PW}`;
  await root(srv, ["user", "add", alice]);
  for (const r of ["ra", "rb"]) await root(srv, ["role", "add", r]);
  await root(srv, ["role", "grant-permission", "ra", "readwrite", "/p/", "--prefix"]);
  await root(srv, ["role", "grant-permission", "ra", "read", "a", "c"]);
  await root(srv, ["role", "grant-permission", "ra", "readwrite", "z", "--from-key"]);
  await root(srv, ["role", "grant-permission", "ra", "read", "foo"]);
  await root(srv, ["role", "grant-permission", "rb", "read", "c", "e"]);
  await root(srv, ["user", "grant-role", "alice", "ra"]);
  await root(srv, ["put", "secret", "s"]);
  const denied = "Error: etcdserver: permission denied";

  await t.step("prefix", async () => {
    expect(await ctl(srv, ["put", "/p/x", "1"], alice), 0, "OK");
    expect(await ctl(srv, ["get", "/p/", "--prefix", "--print-value-only"], alice), 0, "1");
    expect(await ctl(srv, ["get", "/p", "--prefix"], alice), 1, denied);
    expect(await ctl(srv, ["get", "/p/", "--from-key"], alice), 1, denied);
    expect(await ctl(srv, ["del", "/p/", "--prefix"], alice), 0, "1");
  });
  await t.step("range, and ranges of two roles merged", async () => {
    expect(await ctl(srv, ["get", "a", "c"], alice), 0, "");
    expect(await ctl(srv, ["get", "b", "--prefix"], alice), 0, "");
    expect(await ctl(srv, ["get", "a", "e"], alice), 1, denied);
    await root(srv, ["user", "grant-role", "alice", "rb"]);
    expect(await ctl(srv, ["get", "a", "e"], alice), 0, "");
    expect(await ctl(srv, ["get", "a", "f"], alice), 1, denied);
    expect(await ctl(srv, ["put", "b", "1"], alice), 1, denied);
  });
  await t.step("from-key", async () => {
    expect(await ctl(srv, ["put", "zzz", "1"], alice), 0, "OK");
    expect(await ctl(srv, ["get", "zz", "--from-key", "--keys-only"], alice), 0, "zzz");
    expect(await ctl(srv, ["get", "y", "--from-key"], alice), 1, denied);
  });
  await t.step("a single key", async () => {
    expect(await ctl(srv, ["get", "foo"], alice), 0, "");
    expect(await ctl(srv, ["get", "foo", "--prefix"], alice), 1, denied);
    expect(await ctl(srv, ["put", "foo", "x"], alice), 1, denied);
  });
  await t.step("a watch needs READ on its whole range", async () => {
    const res = await watchOnce(srv, alice, ["/p", "--prefix"]);
    expect(
      res,
      5,
      "watch was canceled (rpc error: code = PermissionDenied desc = etcdserver: permission denied)",
    );
  });
  await t.step("Txn: compares and both branches", async () => {
    const txn = (stdin: string) => ctl(srv, ["txn"], alice, stdin);
    expect(await txn('value("secret") = "x"\n\nput /p/ok 1\n\nput /p/ok 2\n\n'), 1, denied);
    expect(await txn('value("/p/ok") = "x"\n\nput /p/ok 1\n\nput secret 2\n\n'), 1, denied);
    expect(await txn('value("/p/ok") = "x"\n\nput /p/ok 1\n\nget a c\n\n'), 0, "FAILURE");
  });
  await t.step("user get of yourself, role get of a role you hold, and nothing else", async () => {
    expect(await ctl(srv, ["user", "get", "alice"], alice), 0, "Roles: ra rb");
    expect(await ctl(srv, ["user", "get", "root"], alice), 1, denied);
    expect(await ctl(srv, ["role", "get", "rb"], alice), 0, "Role rb");
    expect(await ctl(srv, ["role", "get", "root"], alice), 1, denied);
    expect(await ctl(srv, ["user", "list"], alice), 1, denied);
    expect(await ctl(srv, ["role", "add", "x"], alice), 1, denied);
  });
  await t.step("Maintenance is for root, refused as etcd 3.4 refuses it", async () => {
    const raw = "rpc error: code = Unknown desc = auth: permission denied";
    expect(
      await ctl(srv, ["defrag"], alice),
      1,
      new RegExp(`\\(${raw.replace(/[()]/g, "\\$&")}\\)`),
    );
    expect(await ctl(srv, ["endpoint", "hashkv"], alice), 1, `Error: ${raw}`);
    expect(await ctl(srv, ["defrag"], `root:${ROOT_PW}`), 0, /^Finished defragmenting/);
  });
});

Deno.test("auth: changes take effect at once, for tokens already issued", async (t) => {
  await using srv = await startServer();
  await enableAuth(srv);
  await root(srv, ["user", "add", `alice:${ALICE_PW}`]);
  await root(srv, ["role", "add", "app"]);
  await root(srv, ["role", "grant-permission", "app", "readwrite", "/app/", "--prefix"]);
  await root(srv, ["user", "grant-role", "alice", "app"]);
  using c = new Client(srv.endpoint);
  const token = await c.token("alice", ALICE_PW);
  const rootToken = await c.token("root", ROOT_PW);

  await t.step("revoking a permission", async () => {
    ok((await c.put("/app/a", "1", token)) instanceof Uint8Array);
    await root(srv, ["role", "revoke-permission", "app", "/app/", "--prefix"]);
    deepStrictEqual(await c.put("/app/a", "2", token), DENIED);
    await root(srv, ["role", "grant-permission", "app", "read", "/app/", "--prefix"]);
    ok((await c.get("/app/a", token)) instanceof Uint8Array);
    deepStrictEqual(await c.put("/app/a", "2", token), DENIED);
    await root(srv, ["role", "grant-permission", "app", "readwrite", "/app/", "--prefix"]);
  });
  await t.step("nested Txns are checked too", async () => {
    const inner: pb.PartialMessage<pb.TxnRequest> = {
      success: [{ request: { case: "requestPut", value: { key: te.encode("secret") } } }],
    };
    const req = pb.encodeTxnRequest({
      success: [{ request: { case: "requestTxn", value: inner } }],
    });
    deepStrictEqual(await c.call("/etcdserverpb.KV/Txn", req, token), DENIED);
    ok((await c.call("/etcdserverpb.KV/Txn", req, rootToken)) instanceof Uint8Array);
  });
  await t.step("LeaseRevoke needs WRITE on every attached key", async () => {
    const grant = async () => {
      const res = await c.call(
        "/etcdserverpb.Lease/LeaseGrant",
        pb.encodeLeaseGrantRequest({ TTL: 60 }),
        rootToken,
      );
      return pb.decodeLeaseGrantResponse(res as Uint8Array).ID;
    };
    const revoke = (ID: bigint) =>
      c.call("/etcdserverpb.Lease/LeaseRevoke", pb.encodeLeaseRevokeRequest({ ID }), token);
    const mixed = await grant();
    await c.put("/app/l1", "x", rootToken, mixed);
    await c.put("other", "x", rootToken, mixed);
    deepStrictEqual(await revoke(mixed), DENIED);
    // and a put with that lease needs WRITE on its keys, as in etcd
    deepStrictEqual(await c.put("/app/l2", "x", token, mixed), DENIED);
    const own = await grant();
    await c.put("/app/l3", "x", rootToken, own);
    ok((await revoke(own)) instanceof Uint8Array);
  });
  await t.step("deleting a user ends its tokens", async () => {
    ok((await c.get("/app/a", token)) instanceof Uint8Array);
    await root(srv, ["user", "delete", "alice"]);
    deepStrictEqual(await c.get("/app/a", token), INVALID_TOKEN);
  });
  await t.step("a password change ends the user's tokens", async () => {
    await root(srv, ["user", "add", `bob:${ALICE_PW}`]);
    const bob = await c.token("bob", ALICE_PW);
    await root(srv, ["user", "passwd", "bob", "--interactive=false"], `${ALICE_PW}-2\n`);
    deepStrictEqual(await c.get("/app/a", bob), INVALID_TOKEN);
  });
  await t.step("auth disable and enable ends every token", async () => {
    await root(srv, ["auth", "disable"]);
    await root(srv, ["auth", "enable"]);
    deepStrictEqual(await c.get("/app/a", rootToken), INVALID_TOKEN);
  });
});

Deno.test("auth: an idle token expires after --token-ttl; use renews it", async () => {
  await using srv = await startServer({ args: ["--token-ttl", "2"] });
  await enableAuth(srv);
  using c = new Client(srv.endpoint);
  const idle = await c.token("root", ROOT_PW);
  const busy = await c.token("root", ROOT_PW);
  ok((await c.get("k", idle)) instanceof Uint8Array);
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 800));
    ok((await c.get("k", busy)) instanceof Uint8Array, `busy token died at round ${i}`);
  }
  deepStrictEqual(await c.get("k", idle), INVALID_TOKEN);
  // etcdctl authenticates afresh, so it is not bothered
  expect(await ctl(srv, ["get", "k"], `root:${ROOT_PW}`), 0, "");
});

Deno.test("auth: users, roles and tokens survive a restart and a SIGKILL", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "t4-auth-" });
  try {
    let token: string;
    let revision: number;
    {
      await using srv = await startServer({ dataDir });
      await enableAuth(srv);
      await root(srv, ["user", "add", `alice:${ALICE_PW}`]);
      using c = new Client(srv.endpoint);
      token = await c.token("alice", ALICE_PW);
      using e = new EtcdTestClient(srv.endpoint);
      revision = (await e.status()).header!.revision;
      deepStrictEqual(revision, 1); // auth changes never advance the revision
      await srv.stop();
    }
    {
      await using srv = await startServer({ dataDir });
      using c = new Client(srv.endpoint);
      deepStrictEqual(await c.get("k", token), DENIED); // the token works; alice has no role
      deepStrictEqual(await c.get("k", "not-a-token.1"), INVALID_TOKEN);
      token = await c.token("root", ROOT_PW);
      await srv.kill();
    }
    {
      await using srv = await startServer({ dataDir });
      using c = new Client(srv.endpoint);
      ok((await c.get("k", token)) instanceof Uint8Array);
      expect(await ctl(srv, ["user", "list"], `root:${ROOT_PW}`), 0, "alice");
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("auth: keys under \\x00auth/ are refused to everyone, root included", async (t) => {
  await using srv = await startServer();
  using c = new Client(srv.endpoint);
  await t.step("with auth off", async () => {
    deepStrictEqual(await c.put("\x00auth/users/x", "v"), DENIED);
    deepStrictEqual(await c.get("\x00auth/", undefined, "\x00auth0"), DENIED);
    // a range that merely spans the namespace is fine: nothing can live there
    ok((await c.get("\0", undefined, "\0")) instanceof Uint8Array);
  });
  await enableAuth(srv);
  const token = await c.token("root", ROOT_PW);
  await t.step("with auth on, as root", async () => {
    deepStrictEqual(await c.put("\x00auth/users/x", "v", token), DENIED);
    deepStrictEqual(await c.get("\x00auth/x", token), DENIED);
    const del = pb.encodeDeleteRangeRequest({
      key: te.encode("\x00auth/"),
      rangeEnd: te.encode("\0"),
    });
    deepStrictEqual(await c.call("/etcdserverpb.KV/DeleteRange", del, token), DENIED);
    const txn = pb.encodeTxnRequest({
      compare: [{ key: te.encode("\x00auth/t"), target: pb.CompareTarget.VERSION }],
    });
    deepStrictEqual(await c.call("/etcdserverpb.KV/Txn", txn, token), DENIED);
  });
  await t.step("a watch there is refused", async () => {
    using e = new EtcdTestClient(srv.endpoint);
    const w = e.watch({ token });
    w.create({ key: te.encode("\x00auth/"), rangeEnd: te.encode("\x00auth0") });
    await w.until((rs) => rs.length > 0);
    deepStrictEqual(w.responses[0]!.watchId, -1);
    deepStrictEqual(w.responses[0]!.canceled, true);
    deepStrictEqual(
      w.responses[0]!.cancelReason,
      "rpc error: code = PermissionDenied desc = etcdserver: permission denied",
    );
    w.close();
  });
});

async function metric(srv: TestServer, name: string): Promise<string[]> {
  const text = await (await fetch(`http://127.0.0.1:${srv.metricsPort}/metrics`)).text();
  return text.split("\n").filter((l) => l.startsWith(name));
}

Deno.test("auth: five failed logins lock the user for a while; the log says so", async () => {
  await using srv = await startServer();
  await enableAuth(srv);
  await root(srv, ["user", "add", `alice:${ALICE_PW}`]);
  const failed = "Error: etcdserver: authentication failed, invalid user ID or password";
  const started = Date.now();
  for (let i = 0; i < 5; i++) {
    expect(await ctl(srv, ["get", "k"], `alice:wrong-${i}`), 2, failed);
  }
  // locked: the right password gets the same answer
  expect(await ctl(srv, ["get", "k"], `alice:${ALICE_PW}`), 2, failed);
  ok(Date.now() - started < 60_000);
  // other users are not affected
  expect(await ctl(srv, ["get", "k"], `root:${ROOT_PW}`), 0, "");
  match(srv.log(), /user locked out after repeated authentication failures user=alice/);
  match(srv.log(), /authentication refused: the user is locked out user=alice/);
  const lines = await metric(srv, "t4_auth_attempts_total");
  ok(lines.includes('t4_auth_attempts_total{result="fail"} 5'), lines.join("\n"));
  ok(lines.includes('t4_auth_attempts_total{result="locked"} 1'), lines.join("\n"));
  ok(lines.some((l) => /result="success"} [1-9]/.test(l)), lines.join("\n"));
});

Deno.test("auth: no password or token ever reaches the log or the data directory", async () => {
  const secrets = ["Zebra-Root-Secret-1", "Quokka-Alice-Secret-2", "Narwhal-New-Secret-3"];
  const [rootPw, alicePw, newPw] = secrets as [string, string, string];
  const tokens: string[] = [];
  await using srv = await startServer();
  expect(await ctl(srv, ["user", "add", `root:${rootPw}`]), 0, "User root created");
  expect(await ctl(srv, ["auth", "enable"]), 0, "Authentication Enabled");
  const as = (pw: string) => `root:${pw}`;
  expect(
    await ctl(srv, ["user", "add", "alice", "--interactive=false"], as(rootPw), `${alicePw}\n`),
    0,
    /created/,
  );
  expect(await ctl(srv, ["get", "k"], `alice:${rootPw}`), 2, /authentication failed/);
  expect(await ctl(srv, ["get", "k"], `nobody:${alicePw}`), 2, /authentication failed/);
  using c = new Client(srv.endpoint);
  tokens.push(await c.token("alice", alicePw), await c.token("root", rootPw));
  await c.get("k", tokens[0]);
  await c.get("k", `${tokens[1]}x`); // a bad token
  await c.get("\x00auth/k", tokens[1]);
  expect(
    await ctl(srv, ["user", "passwd", "alice", "--interactive=false"], as(rootPw), `${newPw}\n`),
    0,
    "Password updated",
  );
  await c.get("k", tokens[0]); // ended by the password change
  expect(await ctl(srv, ["user", "delete", "alice"], as(rootPw)), 0, "User alice deleted");
  await srv.stop();
  const log = srv.log();
  ok(log.includes("authentication failed"), "the scenario ran");
  for (const secret of [...secrets, ...tokens]) {
    ok(!log.includes(secret), `the log holds ${secret}`);
    ok(!log.includes(secret.split(".")[0]!), `the log holds part of ${secret}`);
  }
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (e.isFile) files.push(path);
    }
  };
  await walk(srv.dataDir);
  ok(files.length > 0);
  for (const path of files) {
    const bytes = new TextDecoder("latin1").decode(await Deno.readFile(path));
    for (const secret of [...secrets, ...tokens]) {
      ok(!bytes.includes(secret), `${path} holds ${secret}`);
    }
  }
});
