// Runs `busybox --list-full` to learn where each applet lives.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base_layer.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;

namespace {

struct FileActions {
  posix_spawn_file_actions_t fa;
  FileActions() { posix_spawn_file_actions_init(&fa); }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
};

// An applet path goes into a tar as-is, so it must be a plain relative path.
bool plain_relative(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  for (char c : path)
    if (c <= ' ' || c == 0x7f) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

std::vector<std::string> busybox_applets(const fs::path& busybox) {
  return with_context("list applets of " + busybox.string(), [&] {
    Pipe out = Pipe::create();
    FileActions actions;
    posix_spawn_file_actions_adddup2(&actions.fa, out.write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions.fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    std::string path = busybox.string();
    std::string flag = "--list-full";
    char* argv[] = {path.data(), flag.data(), nullptr};
    char* envp[] = {nullptr};  // the list must not depend on the caller's environment
    pid_t pid = -1;
    if (int rc = ::posix_spawn(&pid, path.c_str(), &actions.fa, nullptr, argv, envp); rc != 0)
      throw Error("spawn " + path, rc);
    out.write.reset();

    // Read everything, then always reap the child before reporting any error.
    std::string text;
    int read_errno = 0;
    constexpr std::size_t kMax = 1 << 20;
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(out.read.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) read_errno = errno;
      if (n <= 0) break;
      if (text.size() < kMax) text.append(buf, static_cast<std::size_t>(n));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) throw Error::system("wait for " + path);
    }
    if (read_errno != 0) throw Error("read output", read_errno);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw Error("`" + path + " --list-full` failed (status " + std::to_string(status) + ")");

    std::vector<std::string> applets;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(start, end - start);
      start = end + 1;
      if (line.empty()) continue;
      if (!plain_relative(line)) throw Error("unexpected applet path '" + line + "'");
      applets.push_back(std::move(line));
    }
    if (applets.empty()) throw Error("no applets listed (is it busybox?)");
    return applets;
  });
}

}  // namespace boxlab::image
