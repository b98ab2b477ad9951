/*
 * T4 storage engine: SQLite (the amalgamation, compiled into this translation unit) plus
 *
 *   vfs.c     the file layer: a `sqlite3_vfs` whose operations are host calls (node:fs),
 *   btree.c   direct access to the tables' B-trees for gets, scans and writes,
 *   this file the KV layer the host calls: two WITHOUT ROWID tables, `log` and `meta`, and one
 *             exported function per operation, so every get, write batch, count and scan block
 *             is one call into wasm; its range scans are in scan.c and its diagnostics
 *             (kv_check, kv_stats) in inspect.c.
 *
 * The exports are listed once, in wasm/exports.txt (must match src/engine/_exports.ts). They
 * exchange data through two buffers in wasm memory that the host fills and reads: `in` (keys,
 * write batches, the path) and `out` (values, scan blocks, check rows, stats). Every export
 * returns an int (a double where 32 bits may not do):
 *
 *   >= 0                a length, a row count or 0 for "done"
 *   KV_NOT_FOUND        get: no such key
 *   KV_OUT_TOO_SMALL    `out` cannot hold the result; kv_need() says how many bytes it needs.
 *                       Grow `out` with kv_out() and call again (a scan continues with
 *                       kv_scan_next(); the row that did not fit is still pending)
 *   <= KV_ERROR         failed: KV_ERROR - result is SQLite's extended result code and
 *                       kv_errmsg() returns the message
 *
 * Durability: WAL journal, exclusive locking (compile-time default, so the WAL index lives in
 * wasm memory and no shared memory is needed), synchronous=NORMAL: commits append to the WAL
 * without fsync; checkpoints fsync the WAL, copy pages into the main file and fsync it. The
 * engine is crash-consistent; T4's own WAL is the source of truth.
 */
#include "sqlite3.c"

#include <stdint.h>
#include <string.h>

#define KV_NOT_FOUND (-1)
#define KV_OUT_TOO_SMALL (-2)
#define KV_ERROR (-1000)

/* Write batch ops: [u8 op][u8 table][u32 klen][u32 vlen][k][v], little-endian. */
#define OP_PUT 1
#define OP_DELETE 2
#define OP_DELETE_RANGE 3 /* k = start, v = end */
#define OP_HEADER_BYTES 10

/* kv_scan flags. */
#define SCAN_REVERSE 1
#define SCAN_START_EXCLUSIVE 2
#define SCAN_HAS_END 4

/* Scan blocks in `out`: rows of [u32 klen][u32 vlen][k][v]. */
#define ROW_HEADER_BYTES 8

#define TABLE_COUNT 2
static const char *const TABLE_NAMES[TABLE_COUNT] = {"log", "meta"};
/* The schema, as sqlite_schema.sql stores it; btree.c relies on exactly this shape. */
static const char *const TABLE_SQL[TABLE_COUNT] = {
    "CREATE TABLE log(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID",
    "CREATE TABLE meta(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID",
};

#include "vfs.c"
#include "btree.c"

static sqlite3 *db;
static Tree tree;
static sqlite3_stmt *stBegin, *stCommit, *stRollback;
static sqlite3_stmt *stCount[TABLE_COUNT][2]; /* [table][has end] */

static unsigned char *inBuf, *outBuf;
static int outCap;
static int outNeed;       /* bytes `out` must hold after a KV_OUT_TOO_SMALL */
static char errText[512]; /* message of the last failure */

/* The scan in progress. Its bounds stay in `in`; the read cursor sits on the next row to copy
 * out, unless `done`. Ending a scan keeps the read transaction (see btree.c). */
static struct {
  int open;
  int done;
  int left; /* rows left before the limit; -1: no limit */
  int flags;
  u32 startBytes, endBytes;
} scan;

static int failWith(int rc, const char *message) {
  sqlite3_snprintf(sizeof(errText), errText, "%s", message);
  return KV_ERROR - rc;
}

/* Records the connection's message for rc (or SQLite's text for the code) and encodes rc. */
static int fail(int rc) {
  int same = db && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff);
  return failWith(rc, same ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* For errors from btree.c, which does not set the connection's message. */
static int failCode(int rc) { return failWith(rc, sqlite3_errstr(rc)); }

static uint32_t readU32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static void writeU32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }

static int prepare(const char *sql, sqlite3_stmt **stmt) {
  int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, 0);
  return rc ? fail(rc) : 0;
}

/* Runs a statement that returns no rows (or whose rows do not matter) and resets it. */
static int run(sqlite3_stmt *stmt) {
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  int result = rc == SQLITE_DONE ? 0 : fail(rc);
  sqlite3_reset(stmt);
  return result;
}

static int exec(const char *sql) {
  int rc = sqlite3_exec(db, sql, 0, 0, 0);
  return rc ? fail(rc) : 0;
}

/* Runs `sql` (one row, one column) into *value and/or text (truncated to size - 1 bytes). */
static int query(const char *sql, sqlite3_int64 *value, char *text, int size) {
  sqlite3_stmt *stmt;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, 0);
  if (rc) return fail(rc);
  rc = sqlite3_step(stmt);
  int result = 0;
  if (rc == SQLITE_ROW) {
    if (value) *value = sqlite3_column_int64(stmt, 0);
    if (text) {
      const char *s = (const char *)sqlite3_column_text(stmt, 0);
      sqlite3_snprintf(size, text, "%s", s ? s : "");
    }
  } else {
    result = rc == SQLITE_DONE ? failWith(SQLITE_ERROR, "no row") : fail(rc);
  }
  sqlite3_finalize(stmt);
  return result;
}

static void scanEnd(void) { scan.open = 0; }

/* Ends the scan and the read transaction reads leave open; every export but kv_get and
 * kv_scan* calls this first. */
static void endReads(void) {
  scanEnd();
  treeEndRead(&tree);
}

static void finalizeAll(void) {
  endReads();
  treeClose(&tree);
  for (int t = 0; t < TABLE_COUNT; t++) {
    for (int e = 0; e < 2; e++) {
      sqlite3_finalize(stCount[t][e]);
      stCount[t][e] = 0;
    }
  }
  sqlite3_finalize(stBegin);
  sqlite3_finalize(stCommit);
  sqlite3_finalize(stRollback);
  stBegin = stCommit = stRollback = 0;
}

static int checkTable(int table) {
  if (table >= 0 && table < TABLE_COUNT) return 0;
  return failWith(SQLITE_MISUSE, "unknown table");
}

/* Allocates `in` with `capacity` bytes; returns its address or 0 (then the old one stays). */
unsigned char *kv_in(int capacity) {
  unsigned char *p = realloc(inBuf, (size_t)capacity);
  if (p) inBuf = p;
  return p;
}

/* Allocates `out` with `capacity` bytes; returns its address or 0 (then the old one stays). */
unsigned char *kv_out(int capacity) {
  unsigned char *p = realloc(outBuf, (size_t)capacity);
  if (!p) return 0;
  outBuf = p;
  outCap = capacity;
  return p;
}

int kv_need(void) { return outNeed; }

const char *kv_errmsg(void) { return errText; }

/* Fails unless the two tables have exactly the schema btree.c relies on. */
static int checkSchema(void) {
  for (int t = 0; t < TABLE_COUNT; t++) {
    char sql[128], stored[256];
    sqlite3_snprintf(sizeof(sql), sql,
                     "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = '%s'",
                     TABLE_NAMES[t]);
    int result = query(sql, 0, stored, sizeof(stored));
    if (result) return result;
    if (strcmp(stored, TABLE_SQL[t])) {
      char message[400];
      sqlite3_snprintf(sizeof(message), message, "table %s has an unexpected schema: %s",
                       TABLE_NAMES[t], stored);
      return failWith(SQLITE_ERROR, message);
    }
  }
  return 0;
}

/*
 * Opens the database whose path (pathLen bytes) is in `in`, applies the durability settings,
 * creates the tables if needed and reads enough of the file (schema, both ends of both tables)
 * to reject a file that is not a database or whose structure is damaged.
 */
int kv_open(int pathLen, int cacheKiB, int autoCheckpointPages) {
  if (db) return failWith(SQLITE_MISUSE, "already open");
  int rc = sqlite3_initialize();
  if (rc) return fail(rc);
  char *path = sqlite3_malloc(pathLen + 1);
  if (!path) return failCode(SQLITE_NOMEM);
  memcpy(path, inBuf, (size_t)pathLen);
  path[pathLen] = 0;
  rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXRESCODE,
                       "host");
  sqlite3_free(path);
  int result = rc ? fail(rc) : 0;
  char sql[512];
  sqlite3_snprintf(sizeof(sql), sql,
                   "PRAGMA page_size = 8192;"
                   "PRAGMA journal_mode = WAL;"
                   "PRAGMA synchronous = NORMAL;"
                   "PRAGMA temp_store = MEMORY;"
                   "PRAGMA cache_size = -%d;"
                   "PRAGMA journal_size_limit = 67108864;"
                   "PRAGMA wal_autocheckpoint = %d;"
                   "BEGIN;"
                   "CREATE TABLE IF NOT EXISTS %s(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID;"
                   "CREATE TABLE IF NOT EXISTS %s(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID;"
                   "COMMIT;",
                   cacheKiB, autoCheckpointPages, TABLE_NAMES[0], TABLE_NAMES[1]);
  if (!result) result = exec(sql);
  char mode[16] = "";
  if (!result) result = query("PRAGMA journal_mode", 0, mode, sizeof(mode));
  if (!result && strcmp(mode, "wal")) {
    result = failWith(SQLITE_ERROR, "cannot switch to WAL journal mode");
  }
  if (!result) result = checkSchema();
  if (!result && (rc = treeOpen(db, &tree))) result = failCode(rc);
  /* Read the first and last entry of each table: walks both edges of each B-tree. */
  for (int t = 0; !result && t < TABLE_COUNT; t++) {
    for (int last = 0; !result && last < 2; last++) {
      int empty = 0;
      rc = treeBeginRead(&tree, t);
      if (!rc) {
        rc = last ? sqlite3BtreeLast(tree.readCursor, &empty)
                  : sqlite3BtreeFirst(tree.readCursor, &empty);
        Entry entry;
        if (!rc && !empty) rc = treeEntry(tree.readCursor, &entry);
        treeEndRead(&tree);
      }
      if (rc) result = failCode(rc);
    }
  }
  if (!result) result = prepare("BEGIN", &stBegin);
  if (!result) result = prepare("COMMIT", &stCommit);
  if (!result) result = prepare("ROLLBACK", &stRollback);
  if (result) {
    finalizeAll();
    sqlite3_close_v2(db);
    db = 0;
  }
  return result;
}

/* Closes the database (checkpointing and removing the WAL). Safe to call when not open. */
int kv_close(void) {
  if (!db) return 0;
  finalizeAll();
  int rc = sqlite3_close_v2(db);
  int result = rc ? fail(rc) : 0;
  db = 0;
  return result;
}

/* Looks up the key (klen bytes in `in`); copies the value to `out` and returns its length. */
int kv_get(int table, int klen) {
  int result = checkTable(table);
  if (result) return result;
  scanEnd();
  int rc = treeBeginRead(&tree, table);
  if (rc) return failCode(rc);
  int cmp = 0;
  rc = treeSeek(&tree, tree.readCursor, inBuf, (u32)klen, &cmp);
  if (!rc && (cmp != 0 || sqlite3BtreeEof(tree.readCursor))) {
    result = KV_NOT_FOUND;
  } else if (!rc) {
    Entry entry;
    rc = treeEntry(tree.readCursor, &entry);
    if (!rc && entry.valueBytes > (u32)outCap) {
      outNeed = (int)entry.valueBytes;
      result = KV_OUT_TOO_SMALL;
    } else if (!rc) {
      rc = treeCopy(tree.readCursor, &entry, entry.valueOffset, entry.valueBytes, outBuf);
      result = (int)entry.valueBytes;
    }
  }
  if (!rc) return result;
  endReads();
  return failCode(rc);
}

static int applyOp(int op, int table, const unsigned char *k, uint32_t klen,
                   const unsigned char *v, uint32_t vlen) {
  int result = checkTable(table);
  if (result) return result;
  int rc;
  switch (op) {
    case OP_PUT:
      rc = treePut(&tree, table, k, klen, v, vlen);
      break;
    case OP_DELETE:
      rc = treeDelete(&tree, table, k, klen);
      break;
    case OP_DELETE_RANGE:
      rc = treeDeleteRange(&tree, table, k, klen, v, vlen);
      break;
    default:
      return failWith(SQLITE_MISUSE, "unknown write batch op");
  }
  return rc ? failCode(rc) : 0;
}

/*
 * Applies a write batch (`count` ops, byteLength bytes in `in`) in one transaction: either every
 * op is applied and committed, or the transaction is rolled back and the error returned.
 */
int kv_write(int count, int byteLength) {
  endReads();
  int result = run(stBegin);
  if (result) return result;
  const unsigned char *p = inBuf, *end = inBuf + byteLength;
  for (int i = 0; i < count && !result; i++) {
    if (end - p < OP_HEADER_BYTES) {
      result = failWith(SQLITE_MISUSE, "malformed write batch");
      break;
    }
    uint32_t klen = readU32(p + 2), vlen = readU32(p + 6);
    const unsigned char *k = p + OP_HEADER_BYTES;
    if ((uint64_t)klen + vlen > (uint64_t)(end - k)) {
      result = failWith(SQLITE_MISUSE, "malformed write batch");
      break;
    }
    result = applyOp(p[0], p[1], k, klen, k + klen, vlen);
    p = k + klen + vlen;
  }
  treeEndWrite(&tree);
  if (!result) result = run(stCommit);
  /* A failed COMMIT can leave the transaction open; roll back whatever is still pending. */
  if (result && !sqlite3_get_autocommit(db)) {
    char kept[sizeof(errText)];
    memcpy(kept, errText, sizeof(kept));
    run(stRollback);
    memcpy(errText, kept, sizeof(kept));
  }
  return result;
}

/* Counts the rows of `table` in [start, end); keys laid out as for kv_scan(). */
double kv_count(int table, int klen, int elen, int hasEnd) {
  int result = checkTable(table);
  if (result) return result;
  endReads();
  sqlite3_stmt **slot = &stCount[table][hasEnd ? 1 : 0];
  if (!*slot) {
    char sql[128];
    sqlite3_snprintf(sizeof(sql), sql, "SELECT count(*) FROM %s WHERE k >= ?1%s",
                     TABLE_NAMES[table], hasEnd ? " AND k < ?2" : "");
    if ((result = prepare(sql, slot))) return result;
  }
  sqlite3_stmt *stmt = *slot;
  sqlite3_bind_blob(stmt, 1, inBuf, klen, SQLITE_STATIC);
  if (hasEnd) sqlite3_bind_blob(stmt, 2, inBuf + klen, elen, SQLITE_STATIC);
  int rc = sqlite3_step(stmt);
  double count = rc == SQLITE_ROW ? (double)sqlite3_column_int64(stmt, 0) : fail(rc);
  sqlite3_reset(stmt);
  return count;
}

/* Checkpoints the WAL: PASSIVE, or TRUNCATE (every frame copied, main file fsynced, WAL
 * truncated to zero bytes). */
int kv_checkpoint(int truncate) {
  endReads();
  int mode = truncate ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE;
  int rc = sqlite3_wal_checkpoint_v2(db, "main", mode, 0, 0);
  return rc ? fail(rc) : 0;
}

/* Sets the WAL size in pages that triggers an automatic PASSIVE checkpoint (0: never). */
int kv_set_auto_checkpoint(int pages) {
  endReads();
  int rc = sqlite3_wal_autocheckpoint(db, pages);
  return rc ? fail(rc) : 0;
}

#include "scan.c"
#include "inspect.c"
