/**
 * Client TLS and mTLS against the real server process, with certificates made by openssl for
 * each run: encrypted traffic with `--client-tls-cert/--client-tls-key`, client certificates
 * required with `--client-tls-ca` (a missing one or one from another CA is refused), and with
 * auth on, the certificate's common name authenticates the user when no token is sent.
 */

import { ok } from "node:assert/strict";
import { etcdctl, startServer, type TestServer } from "./_server.ts";

/** Runs openssl; throws with its output on failure. */
async function openssl(dir: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args.join(" ")}:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

/** A CA in `dir`, named `name`. */
async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-subj",
    `/CN=${name}`,
  ]);
}

/** A certificate `name` signed by CA `ca`, for a server (127.0.0.1) or a client (CN). */
async function makeCert(dir: string, ca: string, name: string, cn: string, server = false) {
  await openssl(dir, [
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${cn}`,
  ]);
  const ext = server
    ? "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
    : "extendedKeyUsage=clientAuth\n";
  await Deno.writeTextFile(`${dir}/${name}.ext`, ext);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-days",
    "2",
    "-out",
    `${name}.crt`,
    "-extfile",
    `${name}.ext`,
  ]);
}

/** Every certificate the tests use, in a fresh directory. */
async function certificates(): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "t4-tls-" });
  await makeCa(dir, "ca");
  await makeCa(dir, "other-ca");
  await makeCert(dir, "ca", "server", "t4-server", true);
  for (const user of ["root", "alice", "ghost"]) await makeCert(dir, "ca", user, user);
  await makeCert(dir, "other-ca", "stranger", "root");
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

const certs = await certificates();
const D = certs.dir;
const SERVER_TLS = [
  "--client-tls-cert",
  `${D}/server.crt`,
  "--client-tls-key",
  `${D}/server.key`,
];
const QUICK = ["--dial-timeout=2s", "--command-timeout=3s"];

/** etcdctl over TLS trusting `ca`, presenting client certificate `cert` if given. */
function tlsCtl(srv: TestServer, args: string[], opts: { ca?: string; cert?: string } = {}) {
  const flags = [...QUICK, `--cacert=${D}/${opts.ca ?? "ca"}.crt`];
  if (opts.cert) flags.push(`--cert=${D}/${opts.cert}.crt`, `--key=${D}/${opts.cert}.key`);
  return etcdctl(`https://${srv.endpoint}`, [...flags, ...args]);
}

function expect(res: { code: number; out: string }, code: number, line: string | RegExp) {
  const lines = res.out.split("\n");
  const found = typeof line === "string" ? lines.includes(line) : lines.some((l) => line.test(l));
  ok(res.code === code && found, `want exit ${code} and ${line}, got ${res.code}:\n${res.out}`);
}

function refused(res: { code: number; out: string }) {
  ok(res.code !== 0, `expected a refusal, got:\n${res.out}`);
}

Deno.test("tls: client traffic is encrypted with --client-tls-cert/--client-tls-key", async (t) => {
  await using srv = await startServer({ args: SERVER_TLS });
  ok(srv.log().includes("tls=tls"));
  await t.step("etcdctl trusting the CA works", async () => {
    expect(await tlsCtl(srv, ["put", "k", "v"]), 0, "OK");
    expect(await tlsCtl(srv, ["get", "k", "--print-value-only"]), 0, "v");
  });
  await t.step("a client trusting another CA is refused", async () => {
    refused(await tlsCtl(srv, ["get", "k"], { ca: "other-ca" }));
  });
  await t.step("a plaintext client is refused", async () => {
    refused(await etcdctl(srv.endpoint, [...QUICK, "get", "k"]));
  });
});

Deno.test("tls: without --client-tls-ca a client certificate logs nobody in", async () => {
  await using srv = await startServer({ args: SERVER_TLS });
  expect(await tlsCtl(srv, ["user", "add", "root:Root-Tls-Pw-0"]), 0, "User root created");
  expect(await tlsCtl(srv, ["auth", "enable"]), 0, "Authentication Enabled");
  const res = await tlsCtl(srv, ["get", "k"], { cert: "root" });
  expect(res, 1, "Error: etcdserver: user name is empty");
});

Deno.test("tls: --client-tls-ca requires a client certificate from that CA", async (t) => {
  await using srv = await startServer({
    args: [...SERVER_TLS, "--client-tls-ca", `${D}/ca.crt`],
  });
  ok(srv.log().includes("tls=mtls"));
  await t.step("a certificate from the CA works", async () => {
    expect(await tlsCtl(srv, ["put", "k", "v"], { cert: "alice" }), 0, "OK");
    expect(await tlsCtl(srv, ["get", "k", "--print-value-only"], { cert: "alice" }), 0, "v");
  });
  await t.step("no certificate is refused", async () => {
    refused(await tlsCtl(srv, ["get", "k"]));
  });
  await t.step("a certificate from another CA is refused", async () => {
    refused(await tlsCtl(srv, ["get", "k"], { cert: "stranger" }));
  });
});

Deno.test("tls: with mTLS and auth on, the certificate's common name is the user", async (t) => {
  await using srv = await startServer({
    args: [...SERVER_TLS, "--client-tls-ca", `${D}/ca.crt`],
  });
  const as = (cert: string, args: string[], user?: string) =>
    tlsCtl(srv, user ? [`--user=${user}`, ...args] : args, { cert });
  await t.step("set up users, then enable auth", async () => {
    expect(await as("root", ["user", "add", "root:Root-Tls-Pw-1"]), 0, "User root created");
    expect(await as("root", ["user", "add", "alice:Alice-Tls-Pw-2"]), 0, "User alice created");
    expect(await as("root", ["role", "add", "app"]), 0, "Role app created");
    expect(
      await as("root", ["role", "grant-permission", "app", "readwrite", "/app/", "--prefix"]),
      0,
      "Role app updated",
    );
    expect(await as("root", ["user", "grant-role", "alice", "app"]), 0, /is granted to user alice/);
    expect(await as("root", ["put", "secret", "s"]), 0, "OK");
    expect(await as("root", ["auth", "enable"]), 0, "Authentication Enabled");
  });
  await t.step("CN root needs no password", async () => {
    expect(await as("root", ["get", "secret", "--print-value-only"]), 0, "s");
    expect(await as("root", ["user", "list"]), 0, "alice");
  });
  await t.step("CN alice gets alice's permissions", async () => {
    expect(await as("alice", ["put", "/app/x", "1"]), 0, "OK");
    expect(await as("alice", ["get", "secret"]), 1, "Error: etcdserver: permission denied");
    expect(await as("alice", ["user", "list"]), 1, "Error: etcdserver: permission denied");
  });
  await t.step("a CN naming no user is refused", async () => {
    expect(await as("ghost", ["get", "/app/x"]), 1, "Error: etcdserver: permission denied");
  });
  await t.step("a token wins over the certificate", async () => {
    const res = await as("root", ["get", "secret"], "alice:Alice-Tls-Pw-2");
    expect(res, 1, "Error: etcdserver: permission denied");
  });
  await t.step("no secret reached the log", () => {
    const log = srv.log();
    ok(!log.includes("Root-Tls-Pw-1") && !log.includes("Alice-Tls-Pw-2"));
  });
});

Deno.test("tls: certificates are removed", async () => {
  await certs[Symbol.asyncDispose]();
});
