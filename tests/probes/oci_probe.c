/* What a container can observe about itself, one "key value" line each, for
 * tests/root/oci_parity.cpp: the same bundle runs under boxlab oci, runc and crun and the
 * lines are compared. Static, so it runs in the busybox base image.
 *
 * Always printed: ids and groups, the five capability sets, NoNewPrivs, Seccomp, every
 * rlimit, umask, cwd, hostname, personality, oom_score_adj, the inode of each
 * /proc/self/ns entry, the cgroup of each hierarchy, and one line per mount (point, per-mount
 * options, propagation, fstype, super options; no ids or device numbers, which differ per run).
 * Arguments ask for more:
 *   r:PATH  first line of PATH (or its errno name)        -> "read PATH VALUE"
 *   w:PATH  whether PATH opens for writing (errno name)   -> "write PATH ok|EROFS|..."
 *   s:PATH  lstat: type, mode, owner, device numbers       -> "stat PATH ..."
 *   e:NAME  an environment variable                        -> "env NAME VALUE|<unset>"
 *   x:PATH  whether PATH reads as empty (a masked path)    -> "empty PATH yes|no|ERRNO"
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char* errname(int e) {
  switch (e) {
    case EACCES:
      return "EACCES";
    case EPERM:
      return "EPERM";
    case EROFS:
      return "EROFS";
    case ENOENT:
      return "ENOENT";
    case EISDIR:
      return "EISDIR";
    case ENOTDIR:
      return "ENOTDIR";
    case EINVAL:
      return "EINVAL";
    case ENODEV:
      return "ENODEV";
    case ENXIO:
      return "ENXIO";
    default:
      return "EOTHER";
  }
}

static void status_lines(void) {
  static const char* keys[] = {"CapInh:",     "CapPrm:",  "CapEff:", "CapBnd:", "CapAmb:",
                               "NoNewPrivs:", "Seccomp:", "Umask:",  NULL};
  FILE* f = fopen("/proc/self/status", "re");
  if (!f) {
    printf("status %s\n", errname(errno));
    return;
  }
  char line[512];
  while (fgets(line, sizeof line, f)) {
    for (int i = 0; keys[i]; i++) {
      size_t n = strlen(keys[i]);
      if (strncmp(line, keys[i], n) == 0) {
        char* v = line + n;
        while (*v == '\t' || *v == ' ') v++;
        v[strcspn(v, "\n")] = 0;
        printf("status.%.*s %s\n", (int)(n - 1), keys[i], v);
      }
    }
  }
  fclose(f);
}

static void ids(void) {
  uid_t r, e, s;
  gid_t gr, ge, gs;
  getresuid(&r, &e, &s);
  getresgid(&gr, &ge, &gs);
  printf("uid %u %u %u\ngid %u %u %u\n", r, e, s, gr, ge, gs);
  gid_t groups[256];
  int n = getgroups(256, groups);
  printf("groups");
  for (int i = 0; i < n; i++) printf(" %u", groups[i]);
  printf("\n");
}

static void rlimits(void) {
  static const struct {
    int res;
    const char* name;
  } all[] = {{RLIMIT_CPU, "CPU"},           {RLIMIT_FSIZE, "FSIZE"},
             {RLIMIT_DATA, "DATA"},         {RLIMIT_STACK, "STACK"},
             {RLIMIT_CORE, "CORE"},         {RLIMIT_RSS, "RSS"},
             {RLIMIT_NPROC, "NPROC"},       {RLIMIT_NOFILE, "NOFILE"},
             {RLIMIT_MEMLOCK, "MEMLOCK"},   {RLIMIT_AS, "AS"},
             {RLIMIT_LOCKS, "LOCKS"},       {RLIMIT_SIGPENDING, "SIGPENDING"},
             {RLIMIT_MSGQUEUE, "MSGQUEUE"}, {RLIMIT_NICE, "NICE"},
             {RLIMIT_RTPRIO, "RTPRIO"},     {RLIMIT_RTTIME, "RTTIME"}};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    struct rlimit l;
    if (getrlimit(all[i].res, &l) != 0) continue;
    printf("rlimit.%s %lld %lld\n", all[i].name, (long long)l.rlim_cur, (long long)l.rlim_max);
  }
}

static void misc(void) {
  char cwd[4096];
  printf("cwd %s\n", getcwd(cwd, sizeof cwd) ? cwd : errname(errno));
  struct utsname u;
  uname(&u);
  printf("hostname %s\ndomainname %s\n", u.nodename, u.domainname);
  printf("personality 0x%x\n", (unsigned)personality(0xffffffff));
  FILE* f = fopen("/proc/self/oom_score_adj", "re");
  int oom = 0;
  if (f && fscanf(f, "%d", &oom) == 1) printf("oom_score_adj %d\n", oom);
  if (f) fclose(f);
}

static void namespaces(void) {
  static const char* kinds[] = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts", NULL};
  for (int i = 0; kinds[i]; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[i]);
    struct stat st;
    if (stat(path, &st) == 0)
      printf("ns.%s %lu\n", kinds[i], (unsigned long)st.st_ino);
    else
      printf("ns.%s %s\n", kinds[i], errname(errno));
  }
}

/* /proc/self/cgroup: "cgroup.CONTROLLERS PATH" (path relative to the cgroup namespace's root) */
static void cgroups(void) {
  FILE* f = fopen("/proc/self/cgroup", "re");
  if (!f) {
    printf("cgroup %s\n", errname(errno));
    return;
  }
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char* a = strchr(line, ':');
    char* b = a ? strchr(a + 1, ':') : NULL;
    if (!b) continue;
    *b = 0;
    printf("cgroup.%s %s\n", a[1] ? a + 1 : "unified", b + 1);
  }
  fclose(f);
}

/* mountinfo: ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER */
static void mounts(void) {
  FILE* f = fopen("/proc/self/mountinfo", "re");
  if (!f) {
    printf("mountinfo %s\n", errname(errno));
    return;
  }
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char* fields[64];
    int n = 0;
    for (char* tok = strtok(line, " "); tok && n < 64; tok = strtok(NULL, " ")) fields[n++] = tok;
    if (n < 10) continue;
    char prop[64] = "";
    int dash = 6;
    for (; dash < n && strcmp(fields[dash], "-") != 0; dash++) {
      const char* tag = fields[dash];
      const char* colon = strchr(tag, ':');
      size_t len = colon ? (size_t)(colon - tag) : strlen(tag);
      /* shared:N / master:N: only the kind (the peer group numbers differ per run) */
      snprintf(prop + strlen(prop), sizeof prop - strlen(prop), "%s%.*s", prop[0] ? "," : "",
               (int)len, tag);
    }
    if (dash + 3 >= n + 1 || dash + 1 >= n) continue;
    printf("mount %s %s %s %s %s\n", fields[4], fields[5], prop[0] ? prop : "private",
           fields[dash + 1], dash + 3 < n ? fields[dash + 3] : "");
  }
  fclose(f);
}

static void read_first(const char* path) {
  FILE* f = fopen(path, "re");
  if (!f) {
    printf("read %s %s\n", path, errname(errno));
    return;
  }
  char line[512] = "";
  if (!fgets(line, sizeof line, f)) line[0] = 0;
  line[strcspn(line, "\n")] = 0;
  printf("read %s %s\n", path, line);
  fclose(f);
}

static void try_write(const char* path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 && errno == EISDIR) {
    /* a directory: try to create a file in it */
    char file[4096];
    snprintf(file, sizeof file, "%s/.oci_probe_w", path);
    fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) unlink(file);
  }
  printf("write %s %s\n", path, fd >= 0 ? "ok" : errname(errno));
  if (fd >= 0) close(fd);
}

static void stat_path(const char* path) {
  struct stat st;
  if (lstat(path, &st) != 0) {
    printf("stat %s %s\n", path, errname(errno));
    return;
  }
  const char* type = S_ISCHR(st.st_mode)    ? "c"
                     : S_ISBLK(st.st_mode)  ? "b"
                     : S_ISDIR(st.st_mode)  ? "d"
                     : S_ISLNK(st.st_mode)  ? "l"
                     : S_ISFIFO(st.st_mode) ? "p"
                                            : "f";
  printf("stat %s %s %04o %u:%u", path, type, st.st_mode & 07777, st.st_uid, st.st_gid);
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
    printf(" %u:%u", major(st.st_rdev), minor(st.st_rdev));
  printf("\n");
}

static void empty(const char* path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    printf("empty %s %s\n", path, errname(errno));
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    DIR* d = opendir(path);
    int entries = 0;
    struct dirent* e;
    while (d && (e = readdir(d)))
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) entries++;
    if (d) closedir(d);
    printf("empty %s %s\n", path, entries ? "no" : "yes");
    return;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    printf("empty %s %s\n", path, errname(errno));
    return;
  }
  char c;
  ssize_t n = read(fd, &c, 1);
  printf("empty %s %s\n", path, n == 0 ? "yes" : n > 0 ? "no" : errname(errno));
  close(fd);
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  ids();
  status_lines();
  rlimits();
  misc();
  namespaces();
  cgroups();
  mounts();
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    if (strlen(a) < 3 || a[1] != ':') continue;
    const char* v = a + 2;
    switch (a[0]) {
      case 'r':
        read_first(v);
        break;
      case 'w':
        try_write(v);
        break;
      case 's':
        stat_path(v);
        break;
      case 'x':
        empty(v);
        break;
      case 'e': {
        const char* e = getenv(v);
        printf("env %s %s\n", v, e ? e : "<unset>");
        break;
      }
    }
  }
  fflush(stdout);
  return 0;
}
