#include "boxlab/runtime/logs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "log_pump.hpp"

namespace boxlab::runtime {
namespace fsys = std::filesystem;

namespace {

Fd open_log(const fsys::path& path) {
  return Fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
}

// Everything from fd's offset to its current end.
std::string read_rest(int fd, const fsys::path& path) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error::system("read " + path.string());
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

ino_t inode_of_path(const fsys::path& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

}  // namespace

std::string last_lines(std::string_view text, std::size_t n) {
  if (n == 0) return {};
  size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;  // the final newline ends the last line
  size_t pos = end;
  for (size_t seen = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++seen == n) break;
  }
  return std::string(text.substr(pos));
}

std::string read_log(const fsys::path& dir, std::optional<std::size_t> lines) {
  std::string text;
  for (const char* name : {kOldLogFile, kLogFile}) {
    fsys::path path = dir / name;
    Fd fd = open_log(path);
    if (!fd) {
      if (errno == ENOENT) continue;
      throw Error::system("open " + path.string());
    }
    text += read_rest(fd.get(), path);
  }
  return lines ? last_lines(text, *lines) : text;
}

void follow_log(const fsys::path& dir, std::optional<std::size_t> lines,
                const std::function<void(std::string_view)>& out,
                const std::function<bool()>& running) {
  fsys::path path = dir / kLogFile;
  // What is there first, then on from the very offset it ended at in the same open file: no
  // output written meanwhile is skipped.
  // The older half first: a rotation in between then loses a half (as the cap may anyway)
  // rather than showing one twice.
  std::string text;
  if (Fd old = open_log(dir / kOldLogFile)) text = read_rest(old.get(), dir / kOldLogFile);
  Fd fd = open_log(path);
  if (fd) text += read_rest(fd.get(), path);
  out(lines ? last_lines(text, *lines) : text);
  bool last_look = false;
  for (;;) {
    bool was_running = running();  // asked first: output written before it stopped is read next
    std::string got = fd ? read_rest(fd.get(), path) : std::string();
    if (!got.empty()) out(got);
    struct stat st;
    // Rotated (the pump renamed ours to container.log.1), or made since: the rest of the old
    // one was read above, so go on with the new one from its start.
    ino_t now = inode_of_path(path);
    if (now != 0 && (!fd || (::fstat(fd.get(), &st) == 0 && st.st_ino != now))) {
      Fd next = open_log(path);
      if (next) {
        if (fd) {
          std::string rest = read_rest(fd.get(), path);
          if (!rest.empty()) out(rest);
        }
        fd = std::move(next);
        continue;
      }
    }
    if (!got.empty()) continue;
    // Stopped: the pump may still hold the container's last output for a moment; one more
    // look after a pause, then done.
    if (!was_running && last_look) return;
    if (!was_running) last_look = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace boxlab::runtime
