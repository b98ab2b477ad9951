/*
 * Direct access to the B-trees of the two WITHOUT ROWID tables through SQLite's internal B-tree
 * API (reference/wasm-engine.md §5.3), bypassing SQL and the VDBE for gets, scans and writes.
 * Included by engine.c after sqlite3.c, so the SQLITE_PRIVATE functions are visible.
 *
 * This uses internals whose layout changes between SQLite releases (BtCursor, UnpackedRecord,
 * Mem, KeyInfo, BtreePayload): it is written against SQLite 3.53.2, the release pinned in
 * deno.json. Updating SQLite means re-reading this file against the new amalgamation and running
 * the engine tests, which end with Engine.check() (PRAGMA integrity_check).
 *
 * A WITHOUT ROWID table `t(k BLOB PRIMARY KEY, v BLOB)` is an index B-tree whose entries are
 * records [header size][serial type of k][serial type of v][k][v]; a BLOB of n bytes has serial
 * type 2n + 12. Entries are ordered by k alone (KeyInfo: 1 key field of 2), blobs comparing with
 * memcmp and then by length.
 *
 * Transactions: a read starts a read transaction and a cursor, which stay open for the next
 * read (starting them is a quarter of a cached get); engine.c ends them (treeEndRead) before
 * any other operation. Only this connection writes, so a read transaction held between reads
 * never misses a change. Writes run inside an SQL BEGIN ... COMMIT that engine.c executes, so
 * SQLite's own commit path (and its WAL hook, which runs automatic checkpoints) handles them;
 * this file only starts the B-tree write transaction and opens a write cursor within it.
 */

typedef struct Tree {
  Btree *btree;
  KeyInfo *keyInfo;
  Pgno roots[TABLE_COUNT];
  BtCursor *readCursor;  /* open on readTable during a read transaction */
  BtCursor *writeCursor; /* open on writeTable during a write transaction */
  int readTable;  /* -1: no read transaction */
  int writeTable; /* -1: no write cursor */
  unsigned char *record; /* encoding buffer for inserted records */
  int recordCapacity;
} Tree;

/* Where the parts of the entry under a cursor are. `local` holds the first `localBytes` bytes of
 * the record; the rest, if any, lives on overflow pages (sqlite3BtreePayload reads it). */
typedef struct Entry {
  const unsigned char *local;
  u32 localBytes;
  u32 keyOffset, keyBytes;
  u32 valueOffset, valueBytes;
} Entry;

static u8 blobVarintLength(u32 bytes) { return (u8)sqlite3VarintLen(2 * (u64)bytes + 12); }

/* Finds the tables' root pages and builds the key comparison; the schema must be loaded. */
static int treeOpen(sqlite3 *conn, Tree *tree) {
  memset(tree, 0, sizeof(*tree));
  tree->readTable = tree->writeTable = -1;
  tree->btree = conn->aDb[0].pBt;
  for (int t = 0; t < TABLE_COUNT; t++) {
    Table *table = sqlite3FindTable(conn, TABLE_NAMES[t], "main");
    if (!table || HasRowid(table) || table->nCol != 2) return SQLITE_CORRUPT;
    tree->roots[t] = table->tnum;
  }
  tree->keyInfo = sqlite3KeyInfoAlloc(conn, 1, 1);
  tree->readCursor = sqlite3_malloc(sqlite3BtreeCursorSize());
  tree->writeCursor = sqlite3_malloc(sqlite3BtreeCursorSize());
  if (!tree->keyInfo || !tree->readCursor || !tree->writeCursor) return SQLITE_NOMEM;
  return SQLITE_OK;
}

static void treeEndRead(Tree *tree) {
  if (tree->readTable < 0) return;
  sqlite3BtreeCloseCursor(tree->readCursor);
  sqlite3BtreeCommit(tree->btree); /* ends the read transaction */
  tree->readTable = -1;
}

/* Closes the write cursor; the transaction itself ends with the SQL COMMIT or ROLLBACK. */
static void treeEndWrite(Tree *tree) {
  if (tree->writeTable < 0) return;
  sqlite3BtreeCloseCursor(tree->writeCursor);
  tree->writeTable = -1;
}

static void treeClose(Tree *tree) {
  treeEndRead(tree);
  treeEndWrite(tree);
  sqlite3KeyInfoUnref(tree->keyInfo);
  sqlite3_free(tree->readCursor);
  sqlite3_free(tree->writeCursor);
  sqlite3_free(tree->record);
  memset(tree, 0, sizeof(*tree));
}

/* Makes sure a read transaction is open with the read cursor on `table`. */
static int treeBeginRead(Tree *tree, int table) {
  if (tree->readTable == table) return SQLITE_OK;
  treeEndRead(tree);
  int rc = sqlite3BtreeBeginTrans(tree->btree, 0, 0);
  if (rc) return rc;
  sqlite3BtreeCursorZero(tree->readCursor);
  rc = sqlite3BtreeCursor(tree->btree, tree->roots[table], 0, tree->keyInfo, tree->readCursor);
  if (rc) {
    sqlite3BtreeCommit(tree->btree);
    return rc;
  }
  tree->readTable = table;
  return SQLITE_OK;
}

/* Moves the cursor to `key` or a neighbour; *cmp < 0: the entry there is smaller than key (or
 * the table is empty), 0: equal, > 0: larger. */
static int treeSeek(Tree *tree, BtCursor *cursor, const unsigned char *key, u32 keyBytes,
                    int *cmp) {
  Mem field;
  UnpackedRecord search;
  memset(&field, 0, sizeof(field));
  field.flags = MEM_Blob;
  field.z = (char *)key;
  field.n = (int)keyBytes;
  field.enc = SQLITE_UTF8;
  field.db = tree->keyInfo->db;
  memset(&search, 0, sizeof(search));
  search.pKeyInfo = tree->keyInfo;
  search.aMem = &field;
  search.nField = 1;
  search.default_rc = 0;
  return sqlite3BtreeIndexMoveto(cursor, &search, cmp);
}

/* Locates the key and value of the entry under a valid cursor. */
static int treeEntry(BtCursor *cursor, Entry *entry) {
  u32 total = sqlite3BtreePayloadSize(cursor);
  entry->local = sqlite3BtreePayloadFetch(cursor, &entry->localBytes);
  if (entry->localBytes < 3 || entry->localBytes > total) return SQLITE_CORRUPT_BKPT;
  const unsigned char *p = entry->local;
  u32 headerBytes, keyType, valueType;
  u32 at = getVarint32(p, headerBytes);
  if (headerBytes > 11 || headerBytes > entry->localBytes) return SQLITE_CORRUPT_BKPT;
  at += getVarint32(p + at, keyType);
  at += getVarint32(p + at, valueType);
  if (at != headerBytes || keyType < 12 || (keyType & 1) || valueType < 12 || (valueType & 1)) {
    return SQLITE_CORRUPT_BKPT;
  }
  entry->keyOffset = headerBytes;
  entry->keyBytes = (keyType - 12) / 2;
  entry->valueOffset = headerBytes + entry->keyBytes;
  entry->valueBytes = (valueType - 12) / 2;
  if ((u64)entry->valueOffset + entry->valueBytes != total) return SQLITE_CORRUPT_BKPT;
  return SQLITE_OK;
}

/* Copies bytes [offset, offset + n) of the entry's record to `out`. */
static int treeCopy(BtCursor *cursor, const Entry *entry, u32 offset, u32 n, unsigned char *out) {
  if ((u64)offset + n <= entry->localBytes) {
    if (n) memcpy(out, entry->local + offset, n);
    return SQLITE_OK;
  }
  return sqlite3BtreePayload(cursor, offset, n, out);
}

/* Compares blob keys as SQLite does: memcmp over the common length, then the length. */
static int keyCompare(const unsigned char *a, u32 aBytes, const unsigned char *b, u32 bBytes) {
  int c = memcmp(a, b, aBytes < bBytes ? aBytes : bBytes);
  if (c) return c;
  return aBytes < bBytes ? -1 : aBytes > bBytes;
}

/* Starts the B-tree write transaction if needed and points the write cursor at `table`. */
static int treeWriteCursor(Tree *tree, int table) {
  if (tree->writeTable == table) return SQLITE_OK;
  treeEndWrite(tree);
  int rc = sqlite3BtreeBeginTrans(tree->btree, 1, 0);
  if (rc) return rc;
  sqlite3BtreeCursorZero(tree->writeCursor);
  rc = sqlite3BtreeCursor(tree->btree, tree->roots[table], BTREE_WRCSR, tree->keyInfo,
                          tree->writeCursor);
  if (rc) return rc;
  tree->writeTable = table;
  return SQLITE_OK;
}

/* Inserts or replaces (key, value) in `table`. */
static int treePut(Tree *tree, int table, const unsigned char *key, u32 keyBytes,
                   const unsigned char *value, u32 valueBytes) {
  int rc = treeWriteCursor(tree, table);
  if (rc) return rc;
  u8 keyTypeBytes = blobVarintLength(keyBytes), valueTypeBytes = blobVarintLength(valueBytes);
  u32 headerBytes = 1 + keyTypeBytes + valueTypeBytes;
  u64 size = (u64)headerBytes + keyBytes + valueBytes;
  if (size > SQLITE_MAX_LENGTH) return SQLITE_TOOBIG;
  if ((int)size > tree->recordCapacity) {
    unsigned char *record = sqlite3_realloc(tree->record, (int)size);
    if (!record) return SQLITE_NOMEM;
    tree->record = record;
    tree->recordCapacity = (int)size;
  }
  unsigned char *p = tree->record;
  p[0] = (unsigned char)headerBytes;
  sqlite3PutVarint(p + 1, 2 * (u64)keyBytes + 12);
  sqlite3PutVarint(p + 1 + keyTypeBytes, 2 * (u64)valueBytes + 12);
  if (keyBytes) memcpy(p + headerBytes, key, keyBytes);
  if (valueBytes) memcpy(p + headerBytes + keyBytes, value, valueBytes);

  int cmp = 0;
  rc = treeSeek(tree, tree->writeCursor, key, keyBytes, &cmp);
  if (rc) return rc;
  BtreePayload payload;
  memset(&payload, 0, sizeof(payload));
  payload.pKey = tree->record;
  payload.nKey = (sqlite3_int64)size;
  /* cmp == 0: the cursor is on the entry to replace; tell Insert so instead of seeking again. */
  return sqlite3BtreeInsert(tree->writeCursor, &payload, cmp == 0 ? BTREE_SAVEPOSITION : 0, cmp);
}

/* Deletes `key` from `table` if it is there. */
static int treeDelete(Tree *tree, int table, const unsigned char *key, u32 keyBytes) {
  int rc = treeWriteCursor(tree, table);
  if (rc) return rc;
  int cmp = 0;
  rc = treeSeek(tree, tree->writeCursor, key, keyBytes, &cmp);
  if (rc || cmp != 0) return rc;
  return sqlite3BtreeDelete(tree->writeCursor, 0);
}

/* Deletes every entry of `table` with start <= key < end. */
static int treeDeleteRange(Tree *tree, int table, const unsigned char *start, u32 startBytes,
                           const unsigned char *end, u32 endBytes) {
  int rc = treeWriteCursor(tree, table);
  if (rc) return rc;
  BtCursor *cursor = tree->writeCursor;
  int cmp = 0;
  rc = treeSeek(tree, cursor, start, startBytes, &cmp);
  if (rc || sqlite3BtreeEof(cursor)) return rc;
  if (cmp < 0) rc = sqlite3BtreeNext(cursor, 0);
  /* A key that is not stored locally is copied here to be compared. */
  unsigned char *copy = 0;
  u32 copyCapacity = 0;
  while (rc == SQLITE_OK) {
    Entry entry;
    if ((rc = treeEntry(cursor, &entry))) break;
    const unsigned char *key = entry.local + entry.keyOffset;
    if ((u64)entry.keyOffset + entry.keyBytes > entry.localBytes) {
      if (entry.keyBytes > copyCapacity) {
        unsigned char *grown = sqlite3_realloc(copy, (int)entry.keyBytes);
        if (!grown) {
          rc = SQLITE_NOMEM;
          break;
        }
        copy = grown;
        copyCapacity = entry.keyBytes;
      }
      if ((rc = treeCopy(cursor, &entry, entry.keyOffset, entry.keyBytes, copy))) break;
      key = copy;
    }
    if (keyCompare(key, entry.keyBytes, end, endBytes) >= 0) break;
    /* SAVEPOSITION: the following Next moves to the entry after the deleted one. */
    if ((rc = sqlite3BtreeDelete(cursor, BTREE_SAVEPOSITION))) break;
    rc = sqlite3BtreeNext(cursor, 0);
  }
  sqlite3_free(copy);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}
