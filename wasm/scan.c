/*
 * Range scans of the KV layer: kv_scan, kv_scan_next, kv_scan_end. Included at the end of
 * engine.c (it uses its state: the buffers, `tree`, `scan`).
 *
 * A scan walks the read cursor over [start, end) (or backwards) and copies rows into `out` as
 * [u32 klen][u32 vlen][k][v] until `out` is full; the next block continues from the row that
 * did not fit, so the host gets many rows per call and never a partial row.
 */

/* Whether a key lies beyond the scan's far bound (the end, or the start when reversed). */
static int scanPast(const unsigned char *key, u32 keyBytes) {
  if (scan.flags & SCAN_REVERSE) {
    int c = keyCompare(key, keyBytes, inBuf, scan.startBytes);
    return c < 0 || (c == 0 && (scan.flags & SCAN_START_EXCLUSIVE));
  }
  return (scan.flags & SCAN_HAS_END) &&
         keyCompare(key, keyBytes, inBuf + scan.startBytes, scan.endBytes) >= 0;
}

/* Copies the entry under the read cursor to `out` at *used as a block row, unless it lies
 * beyond the scan's bounds (then sets scan.done) or does not fit (then returns 1). */
static int scanRow(int *used, int *rc) {
  BtCursor *cursor = tree.readCursor;
  Entry entry;
  if ((*rc = treeEntry(cursor, &entry))) return 0;
  int keyIsLocal = (u64)entry.keyOffset + entry.keyBytes <= entry.localBytes;
  if (keyIsLocal && scanPast(entry.local + entry.keyOffset, entry.keyBytes)) {
    scan.done = 1;
    return 0;
  }
  u64 need = (u64)ROW_HEADER_BYTES + entry.keyBytes + entry.valueBytes;
  if (need > (u64)(outCap - *used)) {
    outNeed = need > 0x7fffffff ? 0x7fffffff : (int)need;
    return 1;
  }
  unsigned char *row = outBuf + *used;
  unsigned char *key = row + ROW_HEADER_BYTES;
  if ((*rc = treeCopy(cursor, &entry, entry.keyOffset, entry.keyBytes, key))) return 0;
  if (!keyIsLocal && scanPast(key, entry.keyBytes)) {
    scan.done = 1;
    return 0;
  }
  *rc = treeCopy(cursor, &entry, entry.valueOffset, entry.valueBytes, key + entry.keyBytes);
  if (*rc) return 0;
  writeU32(row, entry.keyBytes);
  writeU32(row + 4, entry.valueBytes);
  *used += (int)need;
  return 0;
}

/* Fills `out` with rows of the current scan until it is full, the limit is reached or the rows
 * end; returns the number of rows copied (0: the scan has ended). */
static int scanFill(void) {
  int used = 0, rows = 0, rc = SQLITE_OK;
  while (!scan.done && scan.left != 0) {
    if (scanRow(&used, &rc)) {
      if (rows > 0) return rows; /* the cursor stays on this row for kv_scan_next() */
      return KV_OUT_TOO_SMALL;
    }
    if (rc || scan.done) break;
    rows++;
    if (scan.left > 0 && --scan.left == 0) break;
    rc = scan.flags & SCAN_REVERSE ? sqlite3BtreePrevious(tree.readCursor, 0)
                                   : sqlite3BtreeNext(tree.readCursor, 0);
    if (rc == SQLITE_DONE) {
      rc = SQLITE_OK;
      scan.done = 1;
    }
    if (rc) break;
  }
  if (rc) {
    endReads();
    return failCode(rc);
  }
  scanEnd();
  return rows;
}

/* Positions the read cursor on the scan's first row, or sets scan.done. */
static int scanSeek(void) {
  BtCursor *cursor = tree.readCursor;
  int rc, cmp = 0, empty = 0;
  if (!(scan.flags & SCAN_REVERSE)) {
    rc = treeSeek(&tree, cursor, inBuf, scan.startBytes, &cmp);
    if (rc || sqlite3BtreeEof(cursor)) {
      scan.done = 1;
      return rc;
    }
    if (cmp < 0 || (cmp == 0 && (scan.flags & SCAN_START_EXCLUSIVE))) {
      rc = sqlite3BtreeNext(cursor, 0);
    }
  } else if (scan.flags & SCAN_HAS_END) {
    rc = treeSeek(&tree, cursor, inBuf + scan.startBytes, scan.endBytes, &cmp);
    if (rc || sqlite3BtreeEof(cursor)) {
      scan.done = 1;
      return rc;
    }
    if (cmp >= 0) rc = sqlite3BtreePrevious(cursor, 0);
  } else {
    rc = sqlite3BtreeLast(cursor, &empty);
    if (empty) scan.done = 1;
  }
  if (rc == SQLITE_DONE) {
    scan.done = 1;
    rc = SQLITE_OK;
  }
  return rc;
}

/*
 * Starts a scan of `table` over [start, end) (start: klen bytes at `in`; end: the elen bytes
 * after it, used when flags has SCAN_HAS_END) and fills `out` with the first block of rows:
 * [u32 klen][u32 vlen][k][v] each. limit <= 0: no limit. Continue with kv_scan_next() until it
 * returns 0; stop early with kv_scan_end(). `in` must not change while the scan is open.
 */
int kv_scan(int table, int flags, int klen, int elen, int limit) {
  int result = checkTable(table);
  if (result) return result;
  scanEnd();
  int rc = treeBeginRead(&tree, table);
  if (rc) return failCode(rc);
  scan.open = 1;
  scan.done = 0;
  scan.left = limit > 0 ? limit : -1;
  scan.flags = flags;
  scan.startBytes = (u32)klen;
  scan.endBytes = (u32)elen;
  rc = scanSeek();
  if (rc) {
    endReads();
    return failCode(rc);
  }
  return scanFill();
}

/* Fills `out` with the next block of the current scan; 0 when it has ended. */
int kv_scan_next(void) { return scan.open ? scanFill() : 0; }

/* Ends the current scan early. */
void kv_scan_end(void) { scanEnd(); }
