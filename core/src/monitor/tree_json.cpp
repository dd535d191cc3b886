// proc.tree as JSON: to_json() (nlohmann) and the hand-written per-process text the sampler
// caches, which must dump byte for byte like it (keys sorted, same escaping).
#include "tree_json.hpp"

#include <charconv>

#include "boxlab/monitor.hpp"

namespace boxlab::monitor {

namespace {

// Namespace kinds by OCI name, in the sorted order nlohmann writes object keys in.
struct NsKey {
  const char* name;
  NsKind kind;
};
constexpr NsKey kSortedNs[] = {{"cgroup", NsKind::cgroup}, {"ipc", NsKind::ipc},
                               {"mount", NsKind::mount},   {"network", NsKind::net},
                               {"pid", NsKind::pid},       {"user", NsKind::user},
                               {"uts", NsKind::uts}};

// Length of the valid UTF-8 sequence at s[i], 0 when invalid.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t n;
  unsigned min;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  unsigned cp = c & (0x7f >> n);
  for (std::size_t k = 1; k < n; ++k) {
    auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (d & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

}  // namespace

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t n = utf8_length(s, i);
      if (n == 0) {
        out += "\xef\xbf\xbd";  // U+FFFD, as nlohmann's error_handler_t::replace
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

void append_process_json(std::string& out, const ProcInfo& p) {
  out += "{\"args\":";
  append_json_string(out, p.args);
  out += ",\"comm\":";
  append_json_string(out, p.comm);
  out += ",\"ns\":{";
  bool first = true;
  for (const auto& key : kSortedNs) {
    std::uint64_t ino = p.ns[static_cast<std::size_t>(key.kind)];
    if (ino == 0) continue;
    if (!first) out += ',';
    first = false;
    out += '"';
    out += key.name;
    out += "\":";
    append_uint(out, ino);
  }
  out += "},\"nspid\":[";
  for (std::size_t i = 0; i < p.nspid.size(); ++i) {
    if (i) out += ',';
    append_int(out, p.nspid[i]);
  }
  out += "],\"pid\":";
  append_int(out, p.pid);
  out += ",\"ppid\":";
  append_int(out, p.ppid);
  out += ",\"state\":";
  append_json_string(out, std::string_view(&p.state, 1));
  out += ",\"threads\":";
  append_int(out, p.threads);
  out += ",\"uid\":";
  append_int(out, p.uid);
  out += '}';
}

nlohmann::json to_json(const ProcTree& tree) {
  nlohmann::json procs = nlohmann::json::array();
  for (const auto& p : tree.procs) {
    nlohmann::json ns = nlohmann::json::object();
    for (const auto& key : kSortedNs)
      if (auto ino = p.ns[static_cast<std::size_t>(key.kind)]; ino != 0) ns[key.name] = ino;
    procs.push_back({{"pid", p.pid},
                     {"ppid", p.ppid},
                     {"nspid", p.nspid},
                     {"comm", p.comm},
                     {"args", p.args},
                     {"state", std::string(1, p.state)},
                     {"uid", p.uid},
                     {"threads", p.threads},
                     {"ns", std::move(ns)}});
  }
  return {{"root", tree.root},
          {"pidns", tree.pid_ns},
          {"source", tree.source},
          {"processes", std::move(procs)}};
}

}  // namespace boxlab::monitor
