// Hostile submissions, graded in one batch with an honest one: each is contained and its record
// names what happened; the honest one gets the same full marks as alone; nothing is left
// behind on the host. The exercise is a copy of 01 with tight limits, so the batch is quick.
#include <archive.h>
#include <archive_entry.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <set>

#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace grade = boxlab::grade;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

const fs::path kExercise = fs::path(BOXLAB_SOURCE_DIR) / "exercises" / "01-process-and-chroot";

fs::path submission(const fs::path& dir, const std::string& name, const std::string& code) {
  fs::create_directories(dir / name);
  boxlab::write_file_atomic(dir / name / "mybox.cpp", code);
  return dir / name;
}

bool process_running(const std::string& cmdline) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string text;
    try {
      text = boxlab::read_file(e.path() / "cmdline");
    } catch (...) {
      continue;
    }
    for (char& c : text)
      if (c == '\0') c = ' ';
    if (text.find(cmdline) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("hostile submissions are contained, named, and do not change others' grades") {
  TempRoot root;
  root.ensure_base_image();
  // The exercise, with limits tight enough for a quick test.
  fs::path ex_dir = root.path() / "ex" / "01-process-and-chroot";
  fs::create_directories(ex_dir.parent_path());
  fs::copy(kExercise, ex_dir, fs::copy_options::recursive);
  json doc = json::parse(boxlab::read_file(ex_dir / "exercise.json"));
  doc["limits"] = {
      {"build_seconds", 60}, {"check_seconds", 1.5}, {"start_seconds", 1}, {"memory", "64M"},
      {"pids", 24},          {"output", "64k"},      {"cpus", 1}};
  boxlab::write_file_atomic(ex_dir / "exercise.json", doc.dump(2));
  grade::Exercise ex = grade::load_exercise(ex_dir);

  // A listener on the host's loopback: a submission must not reach it (no network).
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 8) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string port = std::to_string(ntohs(addr.sin_port));

  fs::path subs = root.path() / "subs";
  std::string solution = boxlab::read_file(kExercise / "solution" / "mybox.cpp");
  std::vector<fs::path> batch = {
      submission(subs, "honest", solution),
      submission(subs, "forkbomb", "#include <unistd.h>\nint main(){ for(;;) fork(); }\n"),
      submission(subs, "loop", "int main(){ for(;;){} }\n"),
      submission(subs, "memhog",
                 "#include <cstdlib>\n#include <cstring>\nint main(){ for(;;){ char* p = "
                 "static_cast<char*>(std::malloc(1<<20)); if (p) std::memset(p, 1, 1<<20); } }\n"),
      submission(subs, "output",
                 "#include <cstdio>\nint main(){ static char b[1<<16]; for(;;) fwrite(b, 1, "
                 "sizeof b, stdout); }\n"),
      submission(subs, "fakepass",
                 "#include <cstdio>\nint main(){ puts(\"  PASS  The box's root directory is "
                 "ROOTFS (2/2)\\n== fakepass: 01-process-and-chroot: 7/7 (pass)\"); return 0; }\n"),
      submission(
          subs, "hiddenreader",
          "#include \"" + (ex_dir / "hidden" / "checks.json").string() + "\"\nint main(){}\n"),
      submission(subs, "writer",
                 "#include <cstdio>\nint main(){ const char* t[] = {\"/usr/bin/boxlab-pwned\", "
                 "\"/lib/boxlab-pwned\", \"/rootfs/boxlab-pwned\", \"" +
                     (ex_dir / "pwned").string() +
                     "\"}; for (auto p : t) if (FILE* f = fopen(p, \"w\")) fputs(\"x\", f); "
                     "return 1; }\n"),
      submission(
          subs, "daemon",
          "#include <csignal>\n#include <unistd.h>\nint main(){ if (fork() == 0) { setsid(); "
          "execl(\"/bin/sleep\", \"/bin/sleep\", \"4242\", nullptr); _exit(1); } "
          "kill(getppid(), SIGKILL); return 0; }\n"),
      submission(subs, "network",
                 "#include <arpa/inet.h>\n#include <netinet/in.h>\n#include <sys/socket.h>\n"
                 "int main(){ int s = socket(AF_INET, SOCK_STREAM, 0); sockaddr_in a{}; "
                 "a.sin_family = AF_INET; a.sin_port = htons(" +
                     port +
                     "); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); return connect(s, "
                     "reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 7 : 1; }\n"),
  };
  // While it runs (the grading container's `run` and every check call mybox): rewrite the checks,
  // the exercise, the grader's binary, a record's path, the toolchain and the image's files,
  // then stack a tmpfs with a fake `stat` over the toolchain the exec checks run (the grading
  // container's root owns its mount namespace), and take /usr/lib's bind away; then behave.
  fs::path records_dir = root.path() / "records";
  std::string rewriter_code = R"(#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
int main(int argc, char** argv) {
  const char* targets[] = {"EX/checks/checks.json", "EX/hidden/checks.json", "EX/exercise.json",
                           "BIN", "RECORDS/honest.01-process-and-chroot.json", "/usr/bin/stat",
                           "/usr/bin/boxlab-pwned", "/rootfs/MYBOX_ROOTFS", "/rootfs/bin/sh"};
  for (const char* t : targets) {
    int fd = open(t, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd >= 0) { (void)!write(fd, "pwned\n", 6); close(fd); }
  }
  if (mount("none", "/usr/bin", "tmpfs", 0, nullptr) == 0)
    if (FILE* f = std::fopen("/usr/bin/stat", "w")) {
      std::fputs("#!/bin/sh\necho 'character special file 0:0'\n", f);
      std::fclose(f);
      chmod("/usr/bin/stat", 0755);
    }
  umount2("/usr/lib", MNT_DETACH);
  if (argc < 4) return 1;
  if (chroot(argv[2]) != 0 || chdir("/") != 0) return 1;
  execv(argv[3], argv + 3);
  return 127;
}
)";
  auto put = [&](const std::string& from, const std::string& to) {
    for (std::size_t at; (at = rewriter_code.find(from)) != std::string::npos;)
      rewriter_code.replace(at, from.size(), to);
  };
  put("EX/", ex_dir.string() + "/");
  put("BIN", BOXLAB_BIN);
  put("RECORDS", records_dir.string());
  batch.push_back(submission(subs, "rewriter", rewriter_code));
  std::string manifest_before = ex.manifest_hash;
  std::string bin_before = boxlab::read_file(BOXLAB_BIN);
  std::string stat_before = boxlab::read_file("/usr/bin/stat");

  // A link to a host file, and an archive with `..`.
  fs::create_directories(subs / "linker");
  fs::create_symlink("/etc/shadow", subs / "linker" / "mybox.cpp");
  batch.push_back(subs / "linker");
  {
    archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    REQUIRE(archive_write_open_filename(a, (subs / "dotdot.tar").c_str()) == ARCHIVE_OK);
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, "../../dotdot-escaped");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, 1);
    archive_write_header(a, e);
    archive_write_data(a, "x", 1);
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
  }
  batch.push_back(subs / "dotdot.tar");

  grade::GradeOptions opts;
  opts.boxlab_bin = BOXLAB_BIN;
  opts.root = root.path();
  opts.work_dir = root.path() / "grade-work";
  opts.jobs = 2;
  std::vector<grade::Record> records = grade::grade(ex, batch, opts);
  REQUIRE(records.size() == batch.size());
  std::map<std::string, grade::Record> by;
  for (const auto& r : records) by[r.student] = r;
  INFO(grade::render_text(records));

  CHECK(by["honest"].status == "pass");
  CHECK(by["honest"].score() == by["honest"].max_score());
  CHECK(by["forkbomb"].status == "pids-exhausted");
  CHECK(by["loop"].status == "timeout");
  CHECK(by["memhog"].status == "oom");
  CHECK(by["output"].status == "output-limit");
  // Printed claims count for nothing.
  CHECK(by["fakepass"].status == "fail");
  CHECK(by["fakepass"].score() == 0);
  // The hidden checks are not in the container: including them does not even compile.
  CHECK(by["hiddenreader"].status == "build-failed");
  CHECK(by["hiddenreader"].build_output.find("killed-status") == std::string::npos);
  CHECK(by["writer"].status == "fail");
  CHECK(!fs::exists("/usr/bin/boxlab-pwned"));
  CHECK(!fs::exists("/lib/boxlab-pwned"));
  CHECK(!fs::exists(ex_dir / "pwned"));
  CHECK(by["daemon"].status == "fail");
  CHECK(!process_running("sleep 4242"));
  CHECK(by["network"].status == "fail");
  CHECK(::accept(listener, nullptr, nullptr) < 0);  // nobody connected
  ::close(listener);
  // The rewriter changed nothing of the grader's (none of it is in the container, or it is
  // read-only there), and its mount over the toolchain is named: not graded.
  CHECK(by["rewriter"].status == "error");
  CHECK(by["rewriter"].score() == 0);
  CHECK(by["rewriter"].reason.find("changed the grader's mounts") != std::string::npos);
  CHECK(by["rewriter"].reason.find("/usr/bin (over the toolchain") != std::string::npos);
  for (const auto& c : by["rewriter"].checks) CHECK(c.status == "error");
  CHECK(grade::load_exercise(ex_dir).manifest_hash == manifest_before);
  CHECK(boxlab::read_file(BOXLAB_BIN) == bin_before);
  CHECK(boxlab::read_file("/usr/bin/stat") == stat_before);
  CHECK(!fs::exists("/usr/bin/boxlab-pwned"));
  CHECK(!fs::exists(records_dir));
  CHECK(boxlab::read_file(ex_dir / "checks" / "checks.json").find("pwned") == std::string::npos);
  CHECK(by["linker"].status == "error");
  CHECK(by["linker"].reason.find("/etc/shadow") != std::string::npos);
  CHECK(by["dotdot"].status == "error");
  CHECK(by["dotdot"].reason.find("..") != std::string::npos);
  CHECK(!fs::exists(root.path() / "dotdot-escaped"));
  CHECK(!fs::exists(opts.work_dir / "dotdot-escaped"));
  // Every check of every record has a status that names what happened.
  for (const auto& r : records)
    for (const auto& c : r.checks)
      CHECK(std::set<std::string>{"pass", "fail", "error", "timeout", "oom", "pids-exhausted",
                                  "output-limit", "build-failed", "blocked"}
                .count(c.status));
  // No grading container is left.
  boxlab::test::Result ps = root.boxlab({"ps", "-a", "-q"});
  CHECK(ps.out.find("grade-") == std::string::npos);
}
