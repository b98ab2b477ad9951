/*
 * Diagnostics of the KV layer: kv_check (integrity and invariants) and kv_stats (sizes).
 * Included at the end of engine.c (it uses its state and helpers). Neither is for the request
 * path: kv_check reads every page.
 */

/* Appends one [u32 len][text] check row to `out` at *used; returns 0 or KV_OUT_TOO_SMALL. */
static int checkRow(int *used, int *rows, const char *text) {
  uint32_t n = (uint32_t)strlen(text);
  if ((uint64_t)*used + 4 + n > (uint64_t)outCap) {
    outNeed = *used + 4 + (int)n;
    return KV_OUT_TOO_SMALL;
  }
  writeU32(outBuf + *used, n);
  memcpy(outBuf + *used + 4, text, n);
  *used += 4 + (int)n;
  (*rows)++;
  return 0;
}

/*
 * Writes one row per problem to `out` as [u32 len][text] and returns their number: SQLite's
 * integrity_check rows (its "ok" is left out; damage that stops it is one row), then our
 * invariants: the schema is exactly the two tables, WAL journal mode, 8 KiB pages. Re-run
 * after KV_OUT_TOO_SMALL.
 */
int kv_check(void) {
  endReads();
  int used = 0, rows = 0, result = 0;
  sqlite3_stmt *stmt;
  int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, 0);
  if (rc) return fail(rc);
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const char *text = (const char *)sqlite3_column_text(stmt, 0);
    if (!text || !strcmp(text, "ok")) continue;
    if ((result = checkRow(&used, &rows, text))) break;
  }
  char line[512];
  int damaged = (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
  if (!result && damaged) {
    /* Damage bad enough to stop integrity_check is a finding, not a failure of check(). */
    sqlite3_snprintf(sizeof(line), line, "integrity_check stopped: %s", sqlite3_errmsg(db));
    result = checkRow(&used, &rows, line);
  } else if (!result && rc != SQLITE_DONE) {
    result = fail(rc);
  }
  sqlite3_finalize(stmt);
  if (result || damaged) return result ? result : rows;

  rc = sqlite3_prepare_v2(db, "SELECT type, name, sql FROM sqlite_schema ORDER BY name", -1,
                          &stmt, 0);
  if (rc) return fail(rc);
  int matched = 0;
  while (!result && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const char *type = (const char *)sqlite3_column_text(stmt, 0);
    const char *name = (const char *)sqlite3_column_text(stmt, 1);
    const char *sql = (const char *)sqlite3_column_text(stmt, 2);
    int t = TABLE_COUNT;
    while (t-- > 0 && !(name && !strcmp(name, TABLE_NAMES[t]))) {
    }
    if (t >= 0 && type && !strcmp(type, "table") && sql && !strcmp(sql, TABLE_SQL[t])) {
      matched++;
      continue;
    }
    sqlite3_snprintf(sizeof(line), line, "schema: unexpected %s %s: %s", type ? type : "?",
                     name ? name : "?", sql ? sql : "");
    result = checkRow(&used, &rows, line);
  }
  if (!result && rc != SQLITE_DONE) result = fail(rc);
  sqlite3_finalize(stmt);
  if (!result && matched != TABLE_COUNT) {
    result = checkRow(&used, &rows, "schema: table log or meta is missing");
  }
  if (result) return result;

  sqlite3_int64 pageSize = 0;
  if ((result = query("PRAGMA page_size", &pageSize, 0, 0))) return result;
  if (pageSize != 8192) {
    sqlite3_snprintf(sizeof(line), line, "page size is %lld, not 8192", pageSize);
    if ((result = checkRow(&used, &rows, line))) return result;
  }
  char mode[16] = "";
  if ((result = query("PRAGMA journal_mode", 0, mode, sizeof(mode)))) return result;
  if (strcmp(mode, "wal")) {
    sqlite3_snprintf(sizeof(line), line, "journal mode is %s, not wal", mode);
    if ((result = checkRow(&used, &rows, line))) return result;
  }
  return rows;
}

/* The size of a file of the main database (SQLITE_FCNTL_FILE_POINTER or _JOURNAL_POINTER). */
static int fileBytes(int op, sqlite3_int64 *bytes) {
  sqlite3_file *file = 0;
  *bytes = 0;
  sqlite3_file_control(db, "main", op, &file);
  if (!file || !file->pMethods) return 0;
  int rc = file->pMethods->xFileSize(file, bytes);
  return rc ? failCode(rc) : 0;
}

/* Writes [pageSize, pageCount, freelistCount, fileBytes, walBytes] as f64 to `out`. */
int kv_stats(void) {
  endReads();
  if (outCap < 5 * 8) {
    outNeed = 5 * 8;
    return KV_OUT_TOO_SMALL;
  }
  sqlite3_int64 pageSize = 0, pageCount = 0, freelist = 0, mainBytes = 0, walBytes = 0;
  int result = query("PRAGMA page_size", &pageSize, 0, 0);
  if (!result) result = query("PRAGMA page_count", &pageCount, 0, 0);
  if (!result) result = query("PRAGMA freelist_count", &freelist, 0, 0);
  if (!result) result = fileBytes(SQLITE_FCNTL_FILE_POINTER, &mainBytes);
  if (!result) result = fileBytes(SQLITE_FCNTL_JOURNAL_POINTER, &walBytes);
  if (result) return result;
  double stats[5] = {(double)pageSize, (double)pageCount, (double)freelist, (double)mainBytes,
                     (double)walBytes};
  memcpy(outBuf, stats, sizeof(stats));
  return 0;
}
