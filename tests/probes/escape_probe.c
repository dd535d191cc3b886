/* The escape probe: run inside a container by tests/root/security_escapes.cpp, linked
 * statically so it runs in the busybox base image. It tries what a hostile container root
 * tries and prints one line per attempt, "NAME ERRNO" (0: it worked). It never writes to a
 * kernel file: the dangerous opens are O_WRONLY and closed at once, and nothing is loaded.
 *
 *   escape_probe attacks MAJOR MINOR MASK   the host root disk's device numbers, for mknod, and a
 *                                          masked path to unmount
 *   escape_probe tiocsti               push one byte into stdin's terminal input queue */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char* name, long rc) { printf("%s %d\n", name, rc < 0 ? errno : 0); }

/* Opens for writing and closes at once: whether the container could write, without writing. */
static void try_open_write(const char* name, const char* path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  report(name, fd);
  if (fd >= 0) close(fd);
}

/* In a child: its namespaces and mounts change, the probe's own do not. */
static void try_unshare(void) {
  pid_t pid = fork();
  if (pid == 0) _exit(unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 ? 0 : errno);
  int status = 0;
  waitpid(pid, &status, 0);
  errno = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
  report("unshare_user_mount", errno ? -1 : 0);
}

static void attacks(unsigned major_nr, unsigned minor_nr, const char* mask) {
  mkdir("/tmp/probe-mnt", 0700);
  long rc = mount("tmpfs", "/tmp/probe-mnt", "tmpfs", 0, "size=64k");
  report("mount", rc);
  if (rc == 0) umount2("/tmp/probe-mnt", MNT_DETACH);
  /* CVE-2022-0492: a v1 hierarchy of one's own, for its release_agent. */
  mkdir("/tmp/probe-cg", 0700);
  rc = mount("cgroup", "/tmp/probe-cg", "cgroup", 0, "memory");
  if (rc != 0) rc = mount("cgroup", "/tmp/probe-cg", "cgroup", 0, "none,name=boxlabprobe");
  if (rc != 0) rc = mount("cgroup2", "/tmp/probe-cg", "cgroup2", 0, NULL); /* pure v2 */
  report("mount_cgroupfs", rc);
  if (rc == 0) {
    try_open_write("release_agent", "/tmp/probe-cg/release_agent");
    umount2("/tmp/probe-cg", MNT_DETACH);
  }
  report("umount_mask", umount2(mask, MNT_DETACH));
  rc = mknod("/tmp/probe-disk", S_IFBLK | 0600, makedev(major_nr, minor_nr));
  report("mknod_disk", rc);
  int fd = open("/tmp/probe-disk", O_RDONLY | O_CLOEXEC);
  report("open_disk", fd);
  if (fd >= 0) close(fd);
  unlink("/tmp/probe-disk");
  /* /dev/kmsg (1:11): the host's kernel log. */
  report("mknod_kmsg", mknod("/tmp/probe-kmsg", S_IFCHR | 0600, makedev(1, 11)));
  fd = open("/tmp/probe-kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  report("open_kmsg", fd);
  if (fd >= 0) close(fd);
  unlink("/tmp/probe-kmsg");
  report("init_module", syscall(SYS_init_module, NULL, 0, ""));
  /* An undefined flag: a kernel that lets the call through answers EINVAL and loads nothing.
   * (Flags 0 with no segments would unload a loaded crash kernel.) */
  report("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0x4000UL));
  report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
  report("add_key", syscall(SYS_add_key, "user", "boxlab-probe", "x", 1, -2));
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  report("bpf", syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
  struct perf_event_attr pe;
  memset(&pe, 0, sizeof pe);
  pe.size = sizeof pe;
  pe.type = PERF_TYPE_SOFTWARE;
  pe.config = PERF_COUNT_SW_CPU_CLOCK;
  rc = syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0);
  report("perf_event_open", rc);
  if (rc >= 0) close((int)rc);
  try_unshare();
  try_open_write("core_pattern", "/proc/sys/kernel/core_pattern");
  try_open_write("sysrq_trigger", "/proc/sysrq-trigger");
  try_open_write("uevent_helper", "/sys/kernel/uevent_helper");
  /* What a container may still do. */
  report("allowed_getpid", getpid() > 0 ? 0 : -1);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  report("allowed_socket", fd);
  if (fd >= 0) close(fd);
  report("allowed_mkdir", mkdir("/tmp/probe-dir", 0700) == 0 || errno == EEXIST ? 0 : -1);
  fd = open("/tmp/probe-file", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  report("allowed_write_file", fd >= 0 && write(fd, "x", 1) == 1 ? 0 : -1);
  if (fd >= 0) close(fd);
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 5 && strcmp(argv[1], "attacks") == 0) {
    attacks((unsigned)strtoul(argv[2], NULL, 10), (unsigned)strtoul(argv[3], NULL, 10), argv[4]);
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "tiocsti") == 0) {
    char c = '#';
    report("tiocsti", ioctl(0, TIOCSTI, &c));
    return 0;
  }
  fprintf(stderr, "usage: escape_probe attacks MAJOR MINOR MASK | tiocsti\n");
  return 2;
}
