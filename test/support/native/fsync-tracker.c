/*
 * LD_PRELOAD shim for redis-server in crash tests: after every successful fsync/fdatasync of an
 * AOF file, records how many bytes of that file are now on stable storage, in "<file>.synced".
 * A host crash keeps exactly those bytes, so a test can SIGKILL Redis, cut each AOF back to its
 * recorded size and restart it: the state a power cut would leave, produced from Redis's own
 * fsync calls rather than guessed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void record(int fd, off_t synced) {
  char link[64], path[4096], out[4160], buf[32];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return;
  path[n] = 0;
  size_t len = strlen(path);
  if (len < 4 || strcmp(path + len - 4, ".aof") != 0) return;
  snprintf(out, sizeof out, "%s.synced", path);
  /* One fixed-width pwrite, never a truncate-then-write: a SIGKILL between the two would leave an
     empty file, read as "nothing was synced". */
  int o = open(out, O_WRONLY | O_CREAT, 0644);
  if (o < 0) return;
  int w = snprintf(buf, sizeof buf, "%020lld\n", (long long)synced);
  if (pwrite(o, buf, (size_t)w, 0) < 0) { /* best effort: the test then sees an older size */ }
  close(o);
}

/* SMSQ_FSYNC_DELAY_US: a disk whose fsync takes that long. A local ext4 answers in microseconds,
   so a SIGKILL almost never lands between a write and its fsync and a crash cuts nothing; a real
   disk (or a busy one) takes milliseconds, and that window is where a host crash loses a tail. */
static long delay_us = -1;

/* SMSQ_FSYNC_HOLD_FILE: while that file exists, every fsync waits before it starts, as a disk that
   has stalled: what Redis writes from then on stays unsynced, so a test can crash it with a tail
   in flight by construction rather than by racing a short window. */
static const char *hold_file = (const char *)-1;

static int tracked(int fd, int (*real)(int)) {
  struct stat st;
  if (delay_us < 0) {
    const char *env = getenv("SMSQ_FSYNC_DELAY_US");
    delay_us = env ? atol(env) : 0;
  }
  if (hold_file == (const char *)-1) hold_file = getenv("SMSQ_FSYNC_HOLD_FILE");
  if (hold_file) {
    while (access(hold_file, F_OK) == 0) usleep(1000);
  }
  /* Bytes written before the sync starts are durable once it returns. */
  off_t before = fstat(fd, &st) == 0 ? st.st_size : -1;
  if (delay_us > 0) usleep((useconds_t)delay_us);
  int rc = real(fd);
  if (rc == 0 && before >= 0) record(fd, before);
  return rc;
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  return tracked(fd, real);
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  return tracked(fd, real);
}
