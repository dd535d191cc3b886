#include "pictures.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/sys/timer.hpp"
#include "loop.hpp"

namespace boxlab::serve {

TopologyWatch::TopologyWatch(Loop& loop, Read read, Emit emit)
    : loop_(loop), read_(std::move(read)), emit_(std::move(emit)) {}

TopologyWatch::~TopologyWatch() {
  set_watching(false);
}

void TopologyWatch::send_now() {
  nlohmann::json body = read_();
  last_ = body.dump();
  emit_(std::move(body));
}

void TopologyWatch::poke() {
  if (watching()) tick();
}

void TopologyWatch::tick() {
  try {
    nlohmann::json body = read_();
    std::string text = body.dump();
    last_error_.clear();
    if (text == last_) return;
    last_ = std::move(text);
    emit_(std::move(body));
  } catch (const std::exception& e) {
    // Said once, not every second; the next good picture clears it.
    std::string message = std::string("net.topology: ") + e.what();
    if (message == last_error_) return;
    last_error_ = message;
    emit_(nlohmann::json{{"error", message}});
  }
}

void TopologyWatch::set_watching(bool on) {
  if (on == watching()) return;
  if (!on) {
    loop_.unwatch(timer_.get());
    timer_.reset();
    return;
  }
  timer_ = sys::periodic_timer(std::chrono::seconds(1));
  loop_.watch(timer_.get(), POLLIN, [this](short) {
    sys::drain_timer(timer_.get());
    tick();
  });
}

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Splits overlay options at ',' and lowerdir at ':', honouring the '\' escapes overlayfs takes.
std::vector<std::string> split_escaped(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out.back() += s[++i];
    } else if (s[i] == sep) {
      out.emplace_back();
    } else {
      out.back() += s[i];
    }
  }
  return out;
}

}  // namespace

nlohmann::json overlay_of(pid_t pid, const std::string& upperdir) {
  std::string proc = "/proc/" + std::to_string(pid);
  std::error_code ec;
  // The root as the process's own mount namespace names it: "/" after pivot_root, the host
  // path of the rootfs for a chroot-only container.
  std::string root = std::filesystem::read_symlink(proc + "/root", ec).string();
  if (ec) return nullptr;
  std::ifstream in(proc + "/mountinfo");
  nlohmann::json found = nullptr;
  std::string line;
  while (std::getline(in, line)) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream left(line.substr(0, dash)), right(line.substr(dash + 3));
    std::string id, parent, dev, rootpath, mountpoint, fstype, source, super;
    left >> id >> parent >> dev >> rootpath >> mountpoint;
    right >> fstype >> source >> super;
    if (fstype != "overlay") continue;
    nlohmann::json o = {{"mountPoint", unescape(mountpoint)},
                        {"lowerdirs", nlohmann::json::array()},
                        {"upperdir", ""},
                        {"workdir", ""}};
    for (const auto& opt : split_escaped(unescape(super), ',')) {
      auto eq = opt.find('=');
      if (eq == std::string::npos) continue;
      std::string key = opt.substr(0, eq), value = opt.substr(eq + 1);
      if (key == "lowerdir") {
        for (const auto& d : split_escaped(value, ':'))
          if (!d.empty()) o["lowerdirs"].push_back(d);
      } else if (key == "upperdir" || key == "workdir") {
        o[key] = value;
      }
    }
    // Its root's mount; or, without a mount namespace of its own (the process sees the
    // host's table, where the rootfs may be named differently), the one with its upper dir.
    bool at_root = o["mountPoint"] == root;
    bool same_upper = !upperdir.empty() && o["upperdir"] == upperdir;
    if (!at_root && !same_upper) continue;
    found = std::move(o);  // the last one mounted there is the one the process sees
  }
  return found;
}

void add_layer_dirs(nlohmann::json& body, const nlohmann::json& overlay) {
  if (!overlay.is_object() || !body.contains("layers")) return;
  const auto& lowers = overlay["lowerdirs"];  // top first
  std::size_t images = 0;
  for (const auto& l : body["layers"])
    if (l.value("kind", "") == "image") ++images;
  std::size_t bottom = 0;
  for (auto& l : body["layers"]) {
    if (l.value("kind", "") == "upper") {
      l["dir"] = overlay.value("upperdir", "");
    } else if (images == lowers.size()) {
      l["dir"] = lowers[lowers.size() - 1 - bottom];
      ++bottom;
    }
  }
  body["overlay"] = overlay;
}

}  // namespace boxlab::serve
