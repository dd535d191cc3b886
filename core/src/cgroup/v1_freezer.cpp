// cgroup v1 freezer: freezer.state FROZEN / THAWED.
#include "boxlab/error.hpp"
#include "cgfs.hpp"
#include "v1.hpp"

namespace boxlab::cgroup::v1 {

void freeze(const fs::path& dir) {
  fs::path state = dir / "freezer.state";
  // The state may stay FREEZING for a while (a task in an uninterruptible sleep); writing FROZEN
  // again retries the tasks not frozen yet, as runc does.
  int writes = 0;
  bool done = wait_until(
      [&] {
        if (writes++ % 8 == 0) write_value(state, "FROZEN");
        return read_trimmed(state) == "FROZEN";
      },
      kSettleTimeout);
  if (!done) {
    std::string seen = read_trimmed(state);
    try {
      write_value(state, "THAWED");
    } catch (const Error&) {
    }
    throw Error("freeze: " + state.string() + " still " + seen + " after " +
                std::to_string(kSettleTimeout.count()) + " ms (thawed again)");
  }
}

void thaw(const fs::path& dir) {
  fs::path state = dir / "freezer.state";
  write_value(state, "THAWED");
  if (!wait_until([&] { return read_trimmed(state) == "THAWED"; }, kSettleTimeout))
    throw Error("thaw: " + state.string() + " is still " + read_trimmed(state));
}

bool frozen(const fs::path& dir, StatReader& files) {
  return files.read_if_exists(dir / "freezer.state").value_or("") == "FROZEN";
}

}  // namespace boxlab::cgroup::v1
