/*
 * The file layer: a `sqlite3_vfs` named "host" whose every operation is one call to a function
 * that src/engine/_host.ts implements on node:fs. Included by engine.c after sqlite3.c.
 *
 * - Locks are no-ops: one connection per file (src/engine/engine.ts refuses a second one in the
 *   process) and the node holds an OS lock on its data directory. io_methods version 1: no
 *   shared memory (the WAL index lives in wasm memory under exclusive locking), no mmap.
 * - Being the only writer, the layer knows each file's size: SQLite asks for the main file's
 *   size at every read transaction while the WAL is empty, and an fstat per get would cost more
 *   than the get.
 * - Contiguous writes are gathered in a per-file buffer and written with one host call: SQLite
 *   writes each WAL frame as a 24-byte header plus a page, and a checkpoint writes runs of
 *   adjacent pages. The buffer is written out before any other operation on that file (read,
 *   sync, truncate, close, a write elsewhere) and right after the page of a WAL commit frame,
 *   so a commit reaches the OS before SQLite considers it done, and a failed write fails it.
 * - A read that starts a little after the previous one ended (a checkpoint reads WAL frames in
 *   file order, skipping superseded ones; a range scan reads leaves that appends laid out in
 *   order) reads READ_AHEAD_BYTES at once, and the following reads are served from that copy
 *   until a write to the file drops it. A read that ends a little before the previous one
 *   started (a reverse scan) reads the READ_AHEAD_BYTES that end with it. Random reads in a
 *   large file almost never trigger either.
 */

/* Host imports. Offsets and sizes are doubles: exact up to 2^53 and no BigInt on the JS side.
 * A negative result means the host caught an error (it keeps it for the EngineError's cause). */

#define HOST(name) __attribute__((import_module("host"), import_name(#name)))

/* Opens `path` (NULL/0 for a temporary file) with SQLITE_OPEN_* flags; returns a file id. */
HOST(open) int host_open(const char *path, int pathLen, int flags);
HOST(close) int host_close(int id);
/* Reads up to n bytes at offset; returns the bytes read (fewer only at end of file). */
HOST(read) int host_read(int id, void *buf, int n, double offset);
/* Writes n bytes at offset; returns 0, HOST_FULL when the disk is full, or another negative. */
HOST(write) int host_write(int id, const void *buf, int n, double offset);
HOST(sync) int host_sync(int id, int flags);
HOST(size) double host_size(int id);
HOST(truncate) int host_truncate(int id, double size);
/* Deletes a file; returns 0, HOST_NOT_FOUND when it did not exist, or another negative. */
HOST(delete) int host_delete(const char *path, int pathLen, int syncDir);
HOST(access) int host_access(const char *path, int pathLen, int flags);
HOST(time) double host_time(void); /* Unix time in milliseconds */
HOST(random) void host_random(void *buf, int n);

#define HOST_FULL (-2)
#define HOST_NOT_FOUND (-2)

#define WRITE_BUFFER_BYTES (256 * 1024)
#define READ_AHEAD_BYTES (64 * 1024)
/* WAL frame header (https://sqlite.org/fileformat2.html#walformat): page number, then the
 * database size in pages for a commit frame and 0 for any other frame. */
#define WAL_FRAME_HEADER_BYTES 24

typedef struct HostFile {
  sqlite3_file base;
  int id;
  int isWal;
  sqlite3_int64 size;         /* -1 until first asked */
  unsigned char *buffer;      /* WRITE_BUFFER_BYTES, allocated on first write */
  int buffered;               /* bytes waiting in `buffer` */
  sqlite3_int64 bufferOffset; /* file offset of buffer[0] */
  int commitPagePending;      /* the last write was a WAL commit frame's header */
  unsigned char *ahead;       /* READ_AHEAD_BYTES, allocated on first sequential read */
  int aheadBytes;             /* valid bytes in `ahead` (0: none) */
  sqlite3_int64 aheadOffset;  /* file offset of ahead[0] */
  sqlite3_int64 lastReadStart, lastReadEnd; /* the previous read's range */
} HostFile;

static int writeError(int hostResult) {
  return hostResult == HOST_FULL ? SQLITE_FULL : SQLITE_IOERR_WRITE;
}

static int fileFlush(HostFile *f) {
  if (!f->buffered) return SQLITE_OK;
  int rc = host_write(f->id, f->buffer, f->buffered, (double)f->bufferOffset);
  f->buffered = 0;
  if (rc) {
    f->size = -1; /* a partial write may have extended the file */
    return writeError(rc);
  }
  return SQLITE_OK;
}

static int fileClose(sqlite3_file *file) {
  HostFile *f = (HostFile *)file;
  int rc = fileFlush(f);
  sqlite3_free(f->buffer);
  sqlite3_free(f->ahead);
  f->buffer = f->ahead = 0;
  if (host_close(f->id) < 0 && !rc) rc = SQLITE_IOERR_CLOSE;
  return rc;
}

/* Fills `ahead` with the READ_AHEAD_BYTES at `from` and copies [offset, offset + amount) out of
 * it; returns 0 when the file does not hold that whole range (the caller reads it plainly). */
static int readAhead(HostFile *f, sqlite3_int64 from, void *buf, int amount,
                     sqlite3_int64 offset) {
  if (!f->ahead) f->ahead = sqlite3_malloc(READ_AHEAD_BYTES);
  f->aheadBytes = 0;
  if (!f->ahead) return 0;
  int n = host_read(f->id, f->ahead, READ_AHEAD_BYTES, (double)from);
  if (n < offset - from + amount) return 0;
  f->aheadBytes = n;
  f->aheadOffset = from;
  memcpy(buf, f->ahead + (offset - from), (size_t)amount);
  return 1;
}

static int fileRead(sqlite3_file *file, void *buf, int amount, sqlite3_int64 offset) {
  HostFile *f = (HostFile *)file;
  int rc = fileFlush(f);
  if (rc) return rc;
  sqlite3_int64 forward = offset - f->lastReadEnd, backward = f->lastReadStart - (offset + amount);
  f->lastReadStart = offset;
  f->lastReadEnd = offset + amount;
  if (f->aheadBytes && offset >= f->aheadOffset &&
      offset + amount <= f->aheadOffset + f->aheadBytes) {
    memcpy(buf, f->ahead + (offset - f->aheadOffset), (size_t)amount);
    return SQLITE_OK;
  }
  if (amount <= READ_AHEAD_BYTES / 4) {
    if (forward >= 0 && forward < READ_AHEAD_BYTES / 2 && readAhead(f, offset, buf, amount, offset)) {
      return SQLITE_OK;
    }
    sqlite3_int64 from = offset + amount - READ_AHEAD_BYTES;
    if (backward >= 0 && backward < READ_AHEAD_BYTES / 2 && from >= 0 &&
        readAhead(f, from, buf, amount, offset)) {
      return SQLITE_OK;
    }
  }
  int n = host_read(f->id, buf, amount, (double)offset);
  if (n == amount) return SQLITE_OK;
  if (n < 0) return SQLITE_IOERR_READ;
  /* SQLite requires the unread tail to be zeroed on a short read. */
  memset((char *)buf + n, 0, (size_t)(amount - n));
  return SQLITE_IOERR_SHORT_READ;
}

static int fileWrite(sqlite3_file *file, const void *buf, int amount, sqlite3_int64 offset) {
  HostFile *f = (HostFile *)file;
  int rc = SQLITE_OK;
  f->aheadBytes = 0;
  int full = f->buffered && amount > WRITE_BUFFER_BYTES - f->buffered;
  if (f->buffered && (offset != f->bufferOffset + f->buffered || full)) rc = fileFlush(f);
  if (rc) return rc;
  if (!f->buffer && amount < WRITE_BUFFER_BYTES) f->buffer = sqlite3_malloc(WRITE_BUFFER_BYTES);
  if (f->buffer && amount < WRITE_BUFFER_BYTES) {
    if (!f->buffered) f->bufferOffset = offset;
    memcpy(f->buffer + f->buffered, buf, (size_t)amount);
    f->buffered += amount;
  } else {
    int result = host_write(f->id, buf, amount, (double)offset);
    if (result) {
      f->size = -1;
      return writeError(result);
    }
  }
  if (f->size >= 0 && offset + amount > f->size) f->size = offset + amount;
  if (f->isWal) {
    if (f->commitPagePending) {
      f->commitPagePending = 0;
      return fileFlush(f);
    }
    const unsigned char *h = buf;
    f->commitPagePending = amount == WAL_FRAME_HEADER_BYTES && (h[4] | h[5] | h[6] | h[7]);
  }
  return SQLITE_OK;
}

static int fileTruncate(sqlite3_file *file, sqlite3_int64 size) {
  HostFile *f = (HostFile *)file;
  int rc = fileFlush(f);
  if (rc) return rc;
  f->aheadBytes = 0;
  if (host_truncate(f->id, (double)size) < 0) {
    f->size = -1;
    return SQLITE_IOERR_TRUNCATE;
  }
  f->size = size;
  return SQLITE_OK;
}

static int fileSync(sqlite3_file *file, int flags) {
  HostFile *f = (HostFile *)file;
  int rc = fileFlush(f);
  if (rc) return rc;
  return host_sync(f->id, flags) < 0 ? SQLITE_IOERR_FSYNC : SQLITE_OK;
}

static int fileSize(sqlite3_file *file, sqlite3_int64 *size) {
  HostFile *f = (HostFile *)file;
  if (f->size < 0) {
    int rc = fileFlush(f);
    if (rc) return rc;
    double n = host_size(f->id);
    if (n < 0) return SQLITE_IOERR_FSTAT;
    f->size = (sqlite3_int64)n;
  }
  *size = f->size;
  return SQLITE_OK;
}

static int fileLock(sqlite3_file *f, int level) { return SQLITE_OK; }

static int fileCheckReservedLock(sqlite3_file *f, int *reserved) {
  *reserved = 0;
  return SQLITE_OK;
}

static int fileControl(sqlite3_file *f, int op, void *arg) { return SQLITE_NOTFOUND; }

static int fileSectorSize(sqlite3_file *f) { return 4096; }

static int fileDeviceCharacteristics(sqlite3_file *f) {
  return SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

static const sqlite3_io_methods hostFileMethods = {
    .iVersion = 1,
    .xClose = fileClose,
    .xRead = fileRead,
    .xWrite = fileWrite,
    .xTruncate = fileTruncate,
    .xSync = fileSync,
    .xFileSize = fileSize,
    .xLock = fileLock,
    .xUnlock = fileLock,
    .xCheckReservedLock = fileCheckReservedLock,
    .xFileControl = fileControl,
    .xSectorSize = fileSectorSize,
    .xDeviceCharacteristics = fileDeviceCharacteristics,
};

static int vfsOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
                   int *outFlags) {
  HostFile *f = (HostFile *)file;
  memset(f, 0, sizeof(*f)); /* pMethods = 0 tells SQLite not to call xClose if this fails */
  /* A NULL name is a temporary file: the host names it and deletes it on close. */
  if (!name) flags |= SQLITE_OPEN_DELETEONCLOSE;
  int id = host_open(name, name ? (int)strlen(name) : 0, flags);
  if (id < 0) return SQLITE_CANTOPEN;
  f->id = id;
  f->isWal = (flags & SQLITE_OPEN_WAL) != 0;
  f->size = -1;
  f->base.pMethods = &hostFileMethods;
  if (outFlags) *outFlags = flags;
  return SQLITE_OK;
}

static int vfsDelete(sqlite3_vfs *vfs, const char *path, int syncDir) {
  int rc = host_delete(path, (int)strlen(path), syncDir);
  if (rc == 0) return SQLITE_OK;
  return rc == HOST_NOT_FOUND ? SQLITE_IOERR_DELETE_NOENT : SQLITE_IOERR_DELETE;
}

static int vfsAccess(sqlite3_vfs *vfs, const char *path, int flags, int *result) {
  int rc = host_access(path, (int)strlen(path), flags);
  if (rc < 0) return SQLITE_IOERR_ACCESS;
  *result = rc;
  return SQLITE_OK;
}

/* Paths stay as the host gave them; the host resolves relative ones against its cwd. */
static int vfsFullPathname(sqlite3_vfs *vfs, const char *path, int outSize, char *out) {
  int n = (int)strlen(path);
  if (n >= outSize) return SQLITE_CANTOPEN;
  memcpy(out, path, (size_t)n + 1);
  return SQLITE_OK;
}

static int vfsRandomness(sqlite3_vfs *vfs, int n, char *out) {
  host_random(out, n);
  return n;
}

static int vfsSleep(sqlite3_vfs *vfs, int microseconds) { return microseconds; }

/* Milliseconds between the Julian day epoch and the Unix epoch. */
#define UNIX_EPOCH_JULIAN_MS 210866760000000LL

static int vfsCurrentTimeInt64(sqlite3_vfs *vfs, sqlite3_int64 *now) {
  *now = (sqlite3_int64)host_time() + UNIX_EPOCH_JULIAN_MS;
  return SQLITE_OK;
}

static int vfsCurrentTime(sqlite3_vfs *vfs, double *now) {
  *now = (host_time() + (double)UNIX_EPOCH_JULIAN_MS) / 86400000.0;
  return SQLITE_OK;
}

static int vfsGetLastError(sqlite3_vfs *vfs, int n, char *out) { return 0; }

static sqlite3_vfs hostVfs = {
    .iVersion = 2,
    .szOsFile = sizeof(HostFile),
    .mxPathname = 4096,
    .zName = "host",
    .xOpen = vfsOpen,
    .xDelete = vfsDelete,
    .xAccess = vfsAccess,
    .xFullPathname = vfsFullPathname,
    .xRandomness = vfsRandomness,
    .xSleep = vfsSleep,
    .xCurrentTime = vfsCurrentTime,
    .xGetLastError = vfsGetLastError,
    .xCurrentTimeInt64 = vfsCurrentTimeInt64,
};

/* SQLITE_OS_OTHER: SQLite calls these from sqlite3_initialize() and sqlite3_shutdown(). */
int sqlite3_os_init(void) { return sqlite3_vfs_register(&hostVfs, 1); }
int sqlite3_os_end(void) { return SQLITE_OK; }
