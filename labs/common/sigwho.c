/* sigwho: a victim that notes who killed it. Labs build it with `cc -static` and run it as a
 * container's (or a host's) process. It waits for SIGTERM with sigwaitinfo(), which says who sent
 * the signal (si_pid, si_uid). At once, while the sender is still there (a `kill` command exits
 * right after sending, and is a zombie for a moment), it reads the sender's /proc entries: cgroup
 * (a zombie keeps it), comm, then root directory and mount namespace (gone with a zombie), and
 * writes them to OUTDIR/sent-by, one key=value a line ("?" for what it could not read), with the
 * sender's parent's command line (a shell, or `boxlab exec NAME -- kill ...`). Then it dies of
 * SIGTERM, like a process without a handler; when the sender was already gone (reaped) it says so
 * and waits for the next SIGTERM instead.
 * Usage: sigwho OUTDIR [LABEL...]; OUTDIR/ready appears once it listens.   (LABELs only show up in ps, so a learner can find it) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void read_text(int pid, const char* what, char* buf, size_t size) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, what);
  FILE* f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, size - 1, f) : 0;
  if (f) fclose(f);
  for (size_t i = 0; i < n; ++i)
    if (buf[i] == '\0') buf[i] = ' '; /* cmdline separates arguments with NULs */
  buf[n] = '\0';
  if (n == 0) snprintf(buf, size, "?");
  for (char* p = buf; *p; ++p)
    if (*p == '\n' && p[1]) *p = ' '; /* one line: the cgroup file has one per hierarchy */
  buf[strcspn(buf, "\n")] = '\0';
}

static void put_link(FILE* out, const char* key, int pid, const char* what) {
  char path[64], target[4096];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, what);
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n < 0) {
    fprintf(out, "%s=?\n", key); /* the sender was gone before we could look */
    return;
  }
  target[n] = '\0';
  fprintf(out, "%s=%s\n", key, target);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: sigwho OUTDIR [LABEL...]\n");
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);
  char file[4096], tmp[4200];
  /* OUTDIR/ready: SIGTERM is blocked now, so it waits for sigwaitinfo (the lab's setup waits for
   * this file: a SIGTERM before the block would kill us without a word). */
  snprintf(file, sizeof file, "%s/ready", argv[1]);
  FILE* ready = fopen(file, "w");
  if (ready) fclose(ready);
  snprintf(file, sizeof file, "%s/sent-by", argv[1]);
  snprintf(tmp, sizeof tmp, "%s.tmp", file);
  for (;;) {
    siginfo_t info;
    if (sigwaitinfo(&set, &info) < 0) continue;
    int pid = info.si_pid;
    /* Look first (the sender may exit any moment), then write. */
    char cgroup[4096], comm[64], status[4096], parent[4096] = "?";
    read_text(pid, "cgroup", cgroup, sizeof cgroup);
    read_text(pid, "comm", comm, sizeof comm);
    /* The sender's parent lives longer: a shell, or the `boxlab exec` that ran the command. */
    read_text(pid, "status", status, sizeof status);
    const char* pp = strstr(status, "PPid:");
    int ppid = pp ? atoi(pp + 5) : 0;
    if (ppid > 0) read_text(ppid, "cmdline", parent, sizeof parent);
    FILE* out = fopen(tmp, "w");
    if (out) {
      fprintf(out, "cgroup=%s\n", cgroup);
      put_link(out, "root", pid, "root");
      put_link(out, "mnt", pid, "ns/mnt");
      fprintf(out, "pid=%d\nuid=%d\ncomm=%s\nppid=%d\nparent=%s\n", pid, (int)info.si_uid,
              comm, ppid, parent);
      if (strcmp(comm, "?") == 0) fprintf(out, "unknown=the sender was gone before I could look\n");
      fclose(out);
      rename(tmp, file);
    }
    /* Unknown sender: live on, so the learner can send again. */
    if (strcmp(comm, "?") != 0) break;
  }
  signal(SIGTERM, SIG_DFL);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  raise(SIGTERM);
  return 1;
}
