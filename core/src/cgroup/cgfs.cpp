#include "cgfs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "parse.hpp"

namespace boxlab::cgroup {

bool file_exists(const fs::path& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string read_trimmed(const fs::path& path) {
  std::string text = read_file(path);
  auto first = text.find_first_not_of(" \t\n");
  if (first == std::string::npos) return {};
  auto last = text.find_last_not_of(" \t\n");
  return text.substr(first, last - first + 1);
}

std::optional<std::string> read_if_exists(const fs::path& path) {
  if (!file_exists(path)) return std::nullopt;
  try {
    return read_trimmed(path);
  } catch (const Error& e) {
    if (e.errnum() == ENOENT) return std::nullopt;  // removed in between
    throw;
  }
}

std::uint64_t read_u64(const fs::path& path) {
  return parse_u64(read_trimmed(path), path.string());
}

namespace {
std::string_view trimmed(std::string_view text) {
  auto first = text.find_first_not_of(" \t\n");
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(" \t\n");
  return text.substr(first, last - first + 1);
}
}  // namespace

std::optional<std::string_view> StatReader::read_if_exists(const fs::path& path) {
  if (!keep_open_) {
    auto text = cgroup::read_if_exists(path);
    if (!text) return std::nullopt;
    buf_ = std::move(*text);
    return std::string_view(buf_);
  }
  auto it = files_.find(path.native());
  if (it == files_.end()) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd && errno != ENOENT) throw Error::system("open " + path.string());
    it = files_.emplace(path.native(), std::move(fd)).first;
  }
  if (!it->second) return std::nullopt;
  if (buf_.size() < 16384) buf_.resize(16384);
  std::size_t used = 0;
  for (;;) {
    ssize_t n =
        ::pread(it->second.get(), buf_.data() + used, buf_.size() - used, static_cast<off_t>(used));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error::system("read " + path.string());
    }
    used += static_cast<std::size_t>(n);
    if (used < buf_.size()) break;  // short (or empty) read: that was all of it
    buf_.resize(buf_.size() * 2);
  }
  return trimmed(std::string_view(buf_.data(), used));
}

std::string_view StatReader::read(const fs::path& path) {
  auto text = read_if_exists(path);
  if (!text) throw Error("read " + path.string(), ENOENT);
  return *text;
}

std::uint64_t StatReader::read_u64(const fs::path& path) {
  return parse_u64(read(path), path.string());
}

void write_value(const fs::path& path, std::string_view value) {
  std::string what = "write '" + std::string(value) + "' to " + path.string();
  Fd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) throw Error::system(what);
  // cgroupfs takes one write per value.
  ssize_t n;
  do {
    n = ::write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw Error::system(what);
}

void write_limit(const fs::path& dir, const std::string& file, const std::string& value,
                 const std::string& what, const std::string& missing) {
  fs::path path = dir / file;
  if (!file_exists(path))
    throw Error(what + ": " + path.string() + " does not exist (" + missing + ")");
  with_context(what, [&] { write_value(path, value); });
}

std::vector<pid_t> read_procs(const fs::path& dir, bool nested) {
  std::vector<pid_t> out;
  auto text = read_if_exists(dir / "cgroup.procs");
  if (text) out = parse_pids(*text);
  if (nested) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (!entry.is_directory(ec) || entry.is_symlink(ec)) continue;
      auto more = read_procs(entry.path(), true);
      out.insert(out.end(), more.begin(), more.end());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void make_cgroup_dir(const fs::path& dir, const Options& options) {
  if (::mkdir(dir.c_str(), 0755) != 0) throw Error::system("mkdir " + dir.string());
  if (options.on_mkdir) options.on_mkdir(dir);
}

namespace {

std::string pid_list(const std::vector<pid_t>& pids) {
  std::string out;
  for (pid_t p : pids) out += (out.empty() ? "" : " ") + std::to_string(p);
  return out;
}

// Only in fake trees: the plain files a real cgroupfs rmdir would take along.
void remove_plain_files(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec) && !entry.is_symlink(ec)) fs::remove(entry.path(), ec);
  }
}

}  // namespace

void remove_cgroup_dir(const fs::path& dir, bool fake,
                       std::chrono::steady_clock::time_point deadline) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw Error::system("stat " + dir.string());
  }
  if (!S_ISDIR(st.st_mode)) throw Error("remove cgroup " + dir.string() + ": not a directory");
  // Usually empty by now (no processes, no child cgroups): one rmdir, and only a busy cgroup
  // takes the walk below.
  if (!fake && (::rmdir(dir.c_str()) == 0 || errno == ENOENT)) return;
  std::error_code ec;
  std::vector<fs::path> nested;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec) && !entry.is_symlink(ec)) nested.push_back(entry.path());
  }
  for (const auto& sub : nested) remove_cgroup_dir(sub, fake, deadline);

  auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
  };
  // Exiting processes leave the cgroup shortly after their SIGKILL; wait for that first.
  wait_until([&] { return read_procs(dir).empty(); },
             std::max(left(), std::chrono::milliseconds(0)));
  for (;;) {
    if (fake) remove_plain_files(dir);
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    int err = errno;
    if (err != EBUSY || left().count() <= 0) {
      auto procs = read_procs(dir, true);
      if (!procs.empty()) {
        throw Error("rmdir " + dir.string() + ": processes still in it: " + pid_list(procs) +
                        " (kill them first)",
                    err);
      }
      if (err != EBUSY) throw Error("rmdir " + dir.string(), err);
      throw Error("rmdir " + dir.string() + ": still busy after " +
                      std::to_string(kSettleTimeout.count()) + " ms",
                  err);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  auto pause = std::chrono::microseconds(100);
  for (;;) {
    if (done()) return true;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::microseconds(10000));
  }
}

Error unavailable(const std::string& what, const std::string& controller,
                  const std::string& detail) {
  return Error(what + ": the " + controller + " controller is not available in this cgroup (" +
               detail + ")");
}

std::string limit_text(const std::string& what, std::int64_t value) {
  return what + " " + std::to_string(value);
}

std::vector<Need> needed_controllers(const spec::Resources& r, bool v2) {
  std::vector<Need> out;
  auto need = [&](const std::string& controller, const std::string& what) {
    for (const auto& n : out)
      if (n.controller == controller) return;
    out.push_back({controller, what});
  };
  if (r.memory_limit) need("memory", limit_text("memory limit", *r.memory_limit));
  if (r.memory_reservation) need("memory", limit_text("memory reservation", *r.memory_reservation));
  if (r.memory_swap) need("memory", limit_text("memory swap limit", *r.memory_swap));
  if (r.cpu_shares) need("cpu", limit_text("cpu shares", static_cast<std::int64_t>(*r.cpu_shares)));
  if (r.cpu_quota) need("cpu", limit_text("cpu quota", *r.cpu_quota));
  if (r.cpu_period) need("cpu", limit_text("cpu period", static_cast<std::int64_t>(*r.cpu_period)));
  if (r.cpuset_cpus) need("cpuset", "cpuset cpus '" + *r.cpuset_cpus + "'");
  if (r.pids_limit) need("pids", limit_text("pids limit", *r.pids_limit));
  if (r.cpuset_mems) need("cpuset", kResources + "/cpu/mems '" + *r.cpuset_mems + "'");
  if (r.cpu_realtime_runtime) need("cpu", kResources + "/cpu/realtimeRuntime");
  if (r.cpu_realtime_period) need("cpu", kResources + "/cpu/realtimePeriod");
  if (r.memory_swappiness) need("memory", kResources + "/memory/swappiness");
  if (r.memory_disable_oom_killer.value_or(false))
    need("memory", kResources + "/memory/disableOOMKiller");
  const std::string io = v2 ? "io" : "blkio";
  if (r.blkio_weight) need(io, kResources + "/blockIO/weight");
  if (r.blkio_leaf_weight) need(io, kResources + "/blockIO/leafWeight");
  if (!r.blkio_weight_device.empty()) need(io, kResources + "/blockIO/weightDevice");
  if (!r.blkio_throttle_read_bps.empty()) need(io, kResources + "/blockIO/throttleReadBpsDevice");
  if (!r.blkio_throttle_write_bps.empty()) need(io, kResources + "/blockIO/throttleWriteBpsDevice");
  if (!r.blkio_throttle_read_iops.empty()) need(io, kResources + "/blockIO/throttleReadIOPSDevice");
  if (!r.blkio_throttle_write_iops.empty())
    need(io, kResources + "/blockIO/throttleWriteIOPSDevice");
  if (!r.hugepage_limits.empty()) need("hugetlb", kResources + "/hugepageLimits");
  if (r.net_class_id) need("net_cls", kResources + "/network/classID");
  if (!r.net_priorities.empty()) need("net_prio", kResources + "/network/priorities");
  if (!r.rdma.empty()) need("rdma", kResources + "/rdma");
  for (const auto& [key, value] : r.unified)
    need(key.substr(0, key.find('.')), kResources + "/unified/" + key);
  return out;
}

void check_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 200 && name.front() != '.' &&
            std::none_of(name.begin(), name.end(), [](char c) {
              return c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
            });
  if (!ok)
    throw Error("invalid cgroup name '" + name + "' (one path component, not starting with '.')");
}

void check_path(const std::string& path) {
  if (path.empty() || path == "/" || path.back() == '/')
    throw Error("invalid cgroup path '" + path + "' (names separated by '/', none empty)");
  std::string_view rest(path);
  if (rest.front() == '/') rest.remove_prefix(1);
  for (;;) {
    auto slash = rest.find('/');
    std::string part(rest.substr(0, slash));
    if (part.empty() || part == "." || part == "..")
      throw Error("invalid cgroup path '" + path + "' (names separated by '/', none empty)");
    check_name(part);
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
}

fs::path place(const fs::path& own, const fs::path& mount, const std::string& path) {
  if (path.front() != '/') return own / path;
  fs::path dir = mount / fs::path(path).relative_path();
  auto rel = dir.lexically_relative(own);
  if (rel.empty() || rel == "." || *rel.begin() == "..")
    throw Error("cgroup path '" + path + "' is not below our own cgroup " + own.string() +
                " (boxlab makes cgroups only below its own)");
  return dir;
}

void make_cgroup_path(const fs::path& own, const fs::path& dir, const Options& options,
                      const std::function<void(const fs::path&)>& prepare) {
  std::vector<fs::path> missing;
  for (fs::path p = dir.parent_path(); p != own && p.has_relative_path() && !file_exists(p);
       p = p.parent_path())
    missing.push_back(p);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    make_cgroup_dir(*it, options);
    if (prepare) prepare(*it);
  }
  make_cgroup_dir(dir, options);
}

}  // namespace boxlab::cgroup
