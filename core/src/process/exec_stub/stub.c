/* boxlab's exec stub: the last program boxlab's child runs before the container's command.
 *
 * Why it exists (CVE-2019-5736): boxlab's child is a clone of boxlab, so until it execs, its
 * /proc/PID/exe is the host's boxlab binary. If the command it execs is a script whose
 * interpreter is /proc/self/exe, the kernel would start the host's boxlab inside the container,
 * where the container's root could reopen that binary for writing once it exits. The child
 * instead execs this stub from a sealed memfd (execveat, no path); the stub then execs the
 * command, so /proc/self/exe at that moment names the sealed memfd, which nobody can write.
 *
 * Freestanding: no libc, a few raw syscalls, tiny and static (a memfd of a few KiB). It runs
 * after the container's capabilities and seccomp filter are in place and only searches PATH and
 * calls execve, reporting a failure over the child's report pipe as the child would. */
#include "abi.h"

typedef unsigned long size_t;

#if defined(__x86_64__)
#define NR_write 1
#define NR_fcntl 72
#define NR_execve 59
#define NR_exit_group 231
static long sys3(long n, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c)
                   : "rcx", "r11", "memory");
  return ret;
}
__asm__(".text\n.globl _start\n_start:\n xor %ebp,%ebp\n mov %rsp,%rdi\n and $-16,%rsp\n"
        " call stub_main\n hlt\n");
#elif defined(__aarch64__)
#define NR_write 64
#define NR_fcntl 25
#define NR_execve 221
#define NR_exit_group 94
static long sys3(long n, long a, long b, long c) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
__asm__(".text\n.globl _start\n_start:\n mov x0, sp\n and sp, x0, #~15\n bl stub_main\n");
#else
#error "boxlab's exec stub supports x86_64 and aarch64"
#endif

#define F_SETFD 2
#define FD_CLOEXEC 1
#define ENOENT 2
#define ENOTDIR 20
#define EACCES 13
#define PATH_MAX 4096

/* The compiler may turn loops into calls to these even when freestanding. */
void* memcpy(void* dst, const void* src, size_t n) {
  char* d = dst;
  const char* s = src;
  while (n--) *d++ = *s++;
  return dst;
}
void* memset(void* dst, int c, size_t n) {
  char* d = dst;
  while (n--) *d++ = (char)c;
  return dst;
}

static size_t length(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}

static int has_slash(const char* s) {
  for (; *s; ++s)
    if (*s == '/') return 1;
  return 0;
}

static int parse_fd(const char* s) {
  int fd = 0;
  if (!*s) return -1;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9' || fd > 100000) return -1;
    fd = fd * 10 + (*s - '0');
  }
  return fd;
}

static __attribute__((noreturn)) void fail(int report_fd, long err) {
  int record[3] = {BOXLAB_EXEC_STUB_STEP, (int)-err, -1};
  if (report_fd >= 0) sys3(NR_write, report_fd, (long)record, sizeof record);
  sys3(NR_exit_group, 127, 0, 0);
  __builtin_unreachable();
}

/* execve with a PATH search (execvpe's rules: EACCES wins over ENOENT, other errors over both,
 * an empty entry is the current directory). Returns the error to report. */
static long exec_search(const char* path, char** argv, char** envp) {
  const char* file = argv[0];
  if (has_slash(file)) return sys3(NR_execve, (long)file, (long)argv, (long)envp);
  if (!*path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t filelen = length(file);
  long best = -ENOENT;
  while (*path) {
    const char* end = path;
    while (*end && *end != ':') ++end;
    size_t dirlen = (size_t)(end - path);
    char candidate[PATH_MAX];
    if (dirlen + filelen + 3 <= sizeof candidate) {
      size_t pos = 0;
      memcpy(candidate, path, dirlen);
      pos = dirlen;
      if (pos == 0) candidate[pos++] = '.';
      candidate[pos++] = '/';
      memcpy(candidate + pos, file, filelen + 1);
      long err = sys3(NR_execve, (long)candidate, (long)argv, (long)envp);
      if (err == -EACCES)
        best = -EACCES;
      else if (err != -ENOENT && err != -ENOTDIR && best != -EACCES)
        best = err;
    }
    path = *end ? end + 1 : end;
  }
  return best;
}

__attribute__((noreturn, used)) void stub_main(long* stack) {
  long argc = stack[0];
  char** argv = (char**)(stack + 1);
  char** envp = argv + argc + 1;
  if (argc <= BOXLAB_EXEC_STUB_FIRST_ARG) fail(-1, -ENOENT);
  int report_fd = parse_fd(argv[1]);
  /* Inherited open so a failure can be reported; closed by the command's exec. */
  if (report_fd >= 0) sys3(NR_fcntl, report_fd, F_SETFD, FD_CLOEXEC);
  fail(report_fd, exec_search(argv[2], argv + BOXLAB_EXEC_STUB_FIRST_ARG, envp));
}
