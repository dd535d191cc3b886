#include "boxlab/sim/store.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>

#include "boxlab/error.hpp"

namespace boxlab::sim {

namespace {

using nlohmann::json;
constexpr Time kCatchUpMax = 60'000'000'000;  // a machine left alone for hours: 60 s pass

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Store::Store(std::filesystem::path dir, Access access) : dir_(std::move(dir)), access_(access) {
  bool look = access == Access::look;
  if (!look) std::filesystem::create_directories(dir_);
  lock_ = Fd(::open((dir_ / "lock").c_str(),
                    look ? O_RDONLY | O_CLOEXEC : O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_) throw Error("open " + (dir_ / "lock").string(), errno);
  if (::flock(lock_.get(), look ? LOCK_SH : LOCK_EX) != 0)
    throw Error("lock the simulated machine", errno);
  std::ifstream in(dir_ / "machine.json");
  if (in) {
    json j = json::parse(in, nullptr, false);
    if (j.is_discarded()) throw Error((dir_ / "machine.json").string() + ": not valid JSON");
    machine = Machine::from_json(j.at("machine"));
    std::int64_t elapsed = wall_ns() - j.value("wall", wall_ns());
    machine.advance_to(machine.now() + std::clamp<std::int64_t>(elapsed, 0, kCatchUpMax));
  } else {
    machine = Machine(static_cast<std::uint64_t>(wall_ns()), 2);
  }
}

void Store::commit() {
  if (access_ == Access::look) throw Error("the simulated machine was opened only to look");
  json j = {{"wall", wall_ns()}, {"machine", machine.to_json()}};
  auto tmp = dir_ / "machine.json.new";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump() << "\n";
    if (!out) throw Error("write " + tmp.string());
  }
  std::filesystem::rename(tmp, dir_ / "machine.json");
}

}  // namespace boxlab::sim
