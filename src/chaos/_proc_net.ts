/**
 * Which process owns the far end of a loopback TCP connection, from Linux's `/proc`: the
 * connecting socket is the line of `/proc/net/tcp` whose local port is the accepted
 * connection's remote port and whose remote port is ours; its inode is then looked up among
 * the file descriptors of the candidate processes. This lets one proxy in front of a leader
 * cut exactly one follower off (every node connects from 127.0.0.1).
 *
 * @module
 */

function hexPort(endpoint: string): number {
  return parseInt(endpoint.split(":")[1] ?? "", 16);
}

async function socketInode(clientPort: number, serverPort: number): Promise<string | undefined> {
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = await Deno.readTextFile(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      if (hexPort(f[1]!) === clientPort && hexPort(f[2]!) === serverPort) return f[9];
    }
  }
  return undefined;
}

/**
 * The one of `pids` that holds the socket connected from `clientPort` to `serverPort` on
 * loopback, or undefined (gone already, another process, or no `/proc`).
 */
export async function connectionOwner(
  clientPort: number,
  serverPort: number,
  pids: readonly number[],
): Promise<number | undefined> {
  const inode = await socketInode(clientPort, serverPort);
  if (inode === undefined || inode === "0") return undefined;
  const want = `socket:[${inode}]`;
  for (const pid of pids) {
    try {
      for await (const fd of Deno.readDir(`/proc/${pid}/fd`)) {
        const link = await Deno.readLink(`/proc/${pid}/fd/${fd.name}`).catch(() => "");
        if (link === want) return pid;
      }
    } catch { /* the process is gone */ }
  }
  return undefined;
}
