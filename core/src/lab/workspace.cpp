// A learner's lab workspace beyond its folders: the per-learner values ({value:NAME}) drawn once
// and kept in DIR/values.json, and the steps `lab solve` did (DIR/solved).
//   values.json: {"size": "4242", "host": "web-7f3a"}
#include <fcntl.h>
#include <unistd.h>

#include <random>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "lab_internal.hpp"

namespace boxlab::lab {
namespace fsys = std::filesystem;
using nlohmann::json;

namespace {

std::string draw(const std::string& name, const json& spec, std::mt19937_64& rng) {
  if (spec.contains("int")) {
    std::uniform_int_distribution<std::int64_t> d(spec["int"][0].get<std::int64_t>(),
                                                  spec["int"][1].get<std::int64_t>());
    return std::to_string(d(rng));
  }
  if (spec.contains("hex")) {
    static const char* const kDigits = "0123456789abcdef";
    std::string out;
    std::uniform_int_distribution<int> d(0, 15);
    for (std::int64_t i = 0; i < spec["hex"].get<std::int64_t>() * 2; ++i) out += kDigits[d(rng)];
    return out;
  }
  if (spec.contains("pick")) {
    std::uniform_int_distribution<std::size_t> d(0, spec["pick"].size() - 1);
    return spec["pick"][d(rng)].get<std::string>();
  }
  throw Error("value '" + name + "': no int, hex or pick");
}

json load_or_draw(const Workspace& ws) {
  sys::ActAs as = detail::as_state_owner();
  fsys::path file = ws.dir / "values.json";
  if (fsys::exists(file)) return json::parse(read_file(file));
  std::random_device seed;
  std::mt19937_64 rng((static_cast<std::uint64_t>(seed()) << 32) ^ seed());
  json values = json::object();
  for (const auto& [name, spec] : ws.value_specs.items()) values[name] = draw(name, spec, rng);
  // Two first uses at once (the CLI and serve) must agree: write aside, then link, which fails
  // when the other got there first; then both read the one that won.
  make_dirs(ws.dir, 0755);
  fsys::path tmp = ws.dir / ("values.json." + std::to_string(::getpid()));
  write_file_atomic(tmp, values.dump(2) + "\n", 0644);
  int rc = ::link(tmp.c_str(), file.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && err != EEXIST) throw Error("save lab values " + file.string(), err);
  return json::parse(read_file(file));
}

}  // namespace

std::string Workspace::value(const std::string& name) const {
  if (!value_specs.contains(name))
    throw Error("{value:" + name + "}: the lab has no value '" + name + "'");
  json values = with_context("lab values in " + dir.string(), [&] { return load_or_draw(*this); });
  if (!values.contains(name) || !values[name].is_string()) {
    // The lab gained a value since this learner's were drawn: start over with all of them.
    {
      sys::ActAs as = detail::as_state_owner();
      fsys::remove(dir / "values.json");
    }
    values = load_or_draw(*this);
  }
  return values[name].get<std::string>();
}

void Workspace::mark_solved(const std::string& step_id) const {
  sys::ActAs as = detail::as_state_owner();
  if (solved(step_id)) return;
  make_dirs(dir, 0755);
  std::string text = fsys::exists(dir / "solved") ? read_file(dir / "solved") : "";
  write_file_atomic(dir / "solved", text + step_id + "\n", 0644);
}

bool Workspace::solved(const std::string& step_id) const {
  sys::ActAs as = detail::as_state_owner();
  fsys::path file = dir / "solved";
  if (!fsys::exists(file)) return false;
  std::string text = "\n" + read_file(file);
  return text.find("\n" + step_id + "\n") != std::string::npos;
}

}  // namespace boxlab::lab
