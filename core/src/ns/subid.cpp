#include "boxlab/ns/subid.hpp"

#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <sstream>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/sys/process.hpp"
#include "boxlab/sys/spawn.hpp"

extern char** environ;

namespace boxlab::ns {

namespace {

constexpr const char* kNewUidMap = "/usr/bin/newuidmap";
constexpr const char* kNewGidMap = "/usr/bin/newgidmap";
constexpr std::uint32_t kMaxExtraIds = 65535;  // ids 1..65535, as a rootful container has

bool parse_u32(std::string_view text, std::uint32_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string user_name(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found) return pw.pw_name;
  return {};
}

std::string read_optional(const char* path) {
  try {
    return read_file(path);
  } catch (const Error&) {
    return {};
  }
}

// Runs the setuid helper with the maps, its stderr kept for the error.
void run_helper(const char* helper, pid_t pid, const std::vector<IdMapping>& maps) {
  std::vector<std::string> argv = {helper, std::to_string(pid)};
  for (const auto& m : maps) {
    argv.push_back(std::to_string(m.container_id));
    argv.push_back(std::to_string(m.host_id));
    argv.push_back(std::to_string(m.size));
  }
  Pipe err = Pipe::create();
  sys::SpawnAttrs s;
  posix_spawn_file_actions_adddup2(&s.fa, err.write.get(), STDERR_FILENO);
  s.clean_signals();
  std::vector<char*> args = sys::c_array(argv);
  pid_t child = -1;
  if (int rc = ::posix_spawn(&child, helper, &s.fa, &s.attr, args.data(), environ); rc != 0)
    throw Error(std::string("run ") + helper, rc);
  err.write.reset();
  std::string said;
  char buf[512];
  ssize_t n;
  while ((n = ::read(err.read.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0 && said.size() < 4096) said.append(buf, static_cast<std::size_t>(n));
  int status = sys::wait_child(child);
  while (!said.empty() && said.back() == '\n') said.pop_back();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(std::string(helper) + " " + std::to_string(pid) + " failed" +
                (said.empty() ? std::string() : ": " + said));
}

}  // namespace

std::optional<SubidRange> find_subid_range(const std::string& file_text, const std::string& name,
                                           uid_t uid) {
  std::istringstream lines(file_text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto a = line.find(':');
    auto b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string who = line.substr(0, a);
    if (who != name && who != std::to_string(uid)) continue;
    SubidRange r;
    if (!parse_u32(std::string_view(line).substr(a + 1, b - a - 1), r.start) ||
        !parse_u32(std::string_view(line).substr(b + 1), r.count) || r.count == 0)
      continue;
    return r;
  }
  return std::nullopt;
}

RootlessMaps rootless_maps() {
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  RootlessMaps maps;
  maps.uids = {{0, uid, 1}};
  maps.gids = {{0, gid, 1}};
  if (::access(kNewUidMap, X_OK) != 0 || ::access(kNewGidMap, X_OK) != 0) return maps;
  std::string name = user_name(uid);
  auto u = find_subid_range(read_optional("/etc/subuid"), name, uid);
  auto g = find_subid_range(read_optional("/etc/subgid"), name, uid);
  if (!u || !g) return maps;
  maps.uids.push_back({1, u->start, std::min(u->count, kMaxExtraIds)});
  maps.gids.push_back({1, g->start, std::min(g->count, kMaxExtraIds)});
  return maps;
}

void write_id_maps_with_helpers(pid_t pid, const std::vector<IdMapping>& uids,
                                const std::vector<IdMapping>& gids) {
  with_context("map the user namespace's ids", [&] {
    run_helper(kNewUidMap, pid, uids);
    run_helper(kNewGidMap, pid, gids);
  });
}

}  // namespace boxlab::ns
