/**
 * etcdctl compatibility: runs the case files in `tests/compat/` (etcd 3.4's own e2e cases, which
 * etcd passes byte for byte, plus T4's own cases for what they do not cover) with the real
 * etcdctl 3.4 against a real server process, a fresh one per group.
 *
 * Case syntax (one directive per line; `#` starts a comment):
 * `=== GROUP [@server-args ARGS]`, `--- CASE`, `$ shell line`, `< stdin line`, `> exact line`,
 * `~ regex line`, `? exit code`, `! GrpcCode message` (etcdctl's warning line plus `Error: …`,
 * exit 1), `@contains`, `@capture VAR REGEX`, `@sleep SECONDS`.
 */

import { startServer } from "./_server.ts";

interface Expect {
  exact?: string;
  re?: RegExp;
}

interface Case {
  name: string;
  cmd: string;
  stdin: string[];
  expect: Expect[];
  code: number;
  contains: boolean;
  captures: { name: string; re: RegExp }[];
  sleep: number;
}

interface Group {
  name: string;
  serverArgs: string[];
  cases: Case[];
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function parse(text: string): Group[] {
  const groups: Group[] = [];
  let g: Group | undefined;
  let c: Case | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.startsWith("#") || line.trim() === "") continue;
    if (line.startsWith("=== ")) {
      const m = /^(.*?)(?:\s+@server-args\s+(.*))?$/.exec(line.slice(4))!;
      g = { name: m[1]!.trim(), serverArgs: m[2] ? m[2].split(/\s+/) : [], cases: [] };
      groups.push(g);
      c = undefined;
      continue;
    }
    if (line.startsWith("--- ")) {
      c = {
        name: line.slice(4).trim(),
        cmd: "",
        stdin: [],
        expect: [],
        code: 0,
        contains: false,
        captures: [],
        sleep: 0,
      };
      g!.cases.push(c);
      continue;
    }
    if (!c) throw new Error(`directive outside a case: ${line}`);
    const body = line.length > 2 ? line.slice(2) : "";
    switch (line[0]) {
      case "$":
        c.cmd = c.cmd ? `${c.cmd}\n${body}` : body;
        break;
      case "<":
        c.stdin.push(body);
        break;
      case ">":
        c.expect.push({ exact: body.trimEnd() });
        break;
      case "~":
        c.expect.push({ re: new RegExp(`^(?:${body})$`) });
        break;
      case "?":
        c.code = Number(body);
        break;
      case "!": {
        const sp = body.indexOf(" ");
        const code = body.slice(0, sp);
        const msg = body.slice(sp + 1);
        c.expect.push({
          re: new RegExp(
            `^(?:\\{"level":"warn".*"msg":"retrying of unary invoker failed".*"error":"rpc error: code = ${
              escapeRegex(code)
            } desc = ${escapeRegex(msg)}"\\})$`,
          ),
        });
        c.expect.push({ exact: `Error: ${msg}` });
        c.code = 1;
        break;
      }
      case "@":
        if (line.startsWith("@contains")) c.contains = true;
        else if (line.startsWith("@capture ")) {
          const [, name, ...re] = line.split(" ");
          c.captures.push({ name: name!, re: new RegExp(re.join(" ")) });
        } else if (line.startsWith("@sleep ")) c.sleep = Number(line.split(" ")[1]);
        else throw new Error(`unknown directive ${line}`);
        break;
      default:
        throw new Error(`cannot parse line: ${line}`);
    }
  }
  return groups;
}

async function run(c: Case, endpoint: string, vars: Record<string, string>) {
  const prelude = `etcdctl() { command etcdctl "$@"; }\nexport -f etcdctl\n`;
  const child = new Deno.Command("bash", {
    args: ["-c", `${prelude}{\n${c.cmd}\n} 2>&1`],
    env: { ETCDCTL_API: "3", ETCDCTL_ENDPOINTS: endpoint, EP: endpoint, ...vars },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(c.stdin.length ? c.stdin.join("\n") + "\n" : ""));
  await w.close().catch(() => {});
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const out = await child.output();
  clearTimeout(timer);
  const d = new TextDecoder();
  return { out: d.decode(out.stdout) + d.decode(out.stderr), code: out.code };
}

function check(c: Case, res: { out: string; code: number }): string[] {
  const lines = res.out.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "");
  const problems: string[] = [];
  if (res.code !== c.code) problems.push(`exit code ${res.code}, want ${c.code}`);
  const match = (e: Expect, l: string) => (e.re ? e.re.test(l) : e.exact === l);
  const show = (e: Expect) => (e.re ? `~${e.re.source}` : JSON.stringify(e.exact));
  if (c.contains) {
    let i = 0;
    for (const e of c.expect) {
      while (i < lines.length && !match(e, lines[i]!)) i++;
      if (i >= lines.length) {
        problems.push(`missing line ${show(e)}`);
        break;
      }
      i++;
    }
  } else {
    if (lines.length !== c.expect.length) {
      problems.push(`got ${lines.length} lines, want ${c.expect.length}`);
    }
    for (let i = 0; i < Math.min(lines.length, c.expect.length); i++) {
      if (!match(c.expect[i]!, lines[i]!)) {
        problems.push(`line ${i + 1}: got ${JSON.stringify(lines[i])}, want ${show(c.expect[i]!)}`);
        break;
      }
    }
  }
  if (problems.length > 0) problems.push(`output:\n${res.out}`);
  return problems;
}

/** Groups whose feature has not landed yet, with the issue that brings it. */
const PENDING: Record<string, string> = {};

for (const file of ["etcdctl-cases.txt", "t4-cases.txt"]) {
  const path = new URL(`./compat/${file}`, import.meta.url);
  for (const group of parse(await Deno.readTextFile(path))) {
    const pending = PENDING[group.name];
    Deno.test({
      name: `etcdctl compat (${file}): ${group.name}${pending ? ` [pending: ${pending}]` : ""}`,
      ignore: pending !== undefined,
    }, async (t) => {
      await using server = await startServer({ args: group.serverArgs });
      const vars: Record<string, string> = {};
      for (const c of group.cases) {
        await t.step(c.name, async () => {
          if (c.sleep) await new Promise((r) => setTimeout(r, c.sleep * 1000));
          const res = await run(c, server.endpoint, vars);
          for (const cap of c.captures) {
            const m = cap.re.exec(res.out);
            if (m?.[1] !== undefined) vars[cap.name] = m[1];
          }
          const problems = check(c, res);
          if (problems.length > 0) throw new Error(problems.join("; "));
        });
      }
    });
  }
}
