// cgroup v2 core files: cgroup.freeze + cgroup.events (frozen), cgroup.kill.
#include "boxlab/error.hpp"
#include "cgfs.hpp"
#include "parse.hpp"
#include "v2.hpp"

namespace boxlab::cgroup::v2 {

namespace {

fs::path freeze_file(const fs::path& dir, const std::string& what) {
  fs::path file = dir / "cgroup.freeze";
  if (!file_exists(file))
    throw Error(what + ": " + file.string() + " does not exist (the v2 freezer needs Linux 5.2)");
  return file;
}

}  // namespace

void freeze(const fs::path& dir) {
  fs::path file = freeze_file(dir, "freeze");
  write_value(file, "1");
  StatReader files(false);
  if (!wait_until([&] { return frozen(dir, files); }, kSettleTimeout)) {
    try {
      write_value(file, "0");
    } catch (const Error&) {
    }
    throw Error("freeze: " + (dir / "cgroup.events").string() + " does not say 'frozen 1' after " +
                std::to_string(kSettleTimeout.count()) + " ms (thawed again)");
  }
}

void thaw(const fs::path& dir) {
  write_value(freeze_file(dir, "thaw"), "0");
  StatReader files(false);
  if (!wait_until([&] { return !frozen(dir, files); }, kSettleTimeout))
    throw Error("thaw: " + (dir / "cgroup.events").string() + " still says 'frozen 1'");
}

bool frozen(const fs::path& dir, StatReader& files) {
  auto events = files.read_if_exists(dir / "cgroup.events");
  return events && value_or(parse_keyed(*events), "frozen") == 1;
}

bool kill(const fs::path& dir) {
  if (!file_exists(dir / "cgroup.kill")) return false;
  write_value(dir / "cgroup.kill", "1");
  return true;
}

}  // namespace boxlab::cgroup::v2
