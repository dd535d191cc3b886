// parse_event: one line of an event stream, validated against schema version 1.
#include "boxlab/event_parse.hpp"

#include <functional>
#include <map>

#include "boxlab/events.hpp"
#include "boxlab/events/json_guard.hpp"

namespace boxlab::events {

namespace {

using nlohmann::json;

// Each check returns "" when fine, else what is wrong (with the field's name).
using Check = std::function<std::string(const json&)>;

bool is_int(const json& j) {
  return j.is_number_integer();
}

std::string need(const json& obj, const char* key, bool (json::*pred)() const noexcept,
                 const char* what) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::string("missing '") + key + "'";
  if (!((*it).*pred)()) return std::string("'") + key + "' must be " + what;
  return {};
}

std::string optional(const json& obj, const char* key, bool (json::*pred)() const noexcept,
                     const char* what) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (!((*it).*pred)()) return std::string("'") + key + "' must be " + what;
  return {};
}

#define BOXLAB_CHECK(expr)      \
  do {                          \
    std::string e_ = (expr);    \
    if (!e_.empty()) return e_; \
  } while (0)

std::string check_state(const json& j) {
  BOXLAB_CHECK(need(j, "id", &json::is_string, "a string"));
  BOXLAB_CHECK(need(j, "name", &json::is_string, "a string"));
  BOXLAB_CHECK(need(j, "status", &json::is_string, "a string"));
  BOXLAB_CHECK(optional(j, "pid", &json::is_number_integer, "an integer"));
  BOXLAB_CHECK(optional(j, "exitCode", &json::is_number_integer, "an integer"));
  return {};
}

std::string check_process(const json& p, std::size_t i) {
  std::string where = "processes[" + std::to_string(i) + "]: ";
  if (!p.is_object()) return where + "must be an object";
  for (const char* key : {"pid", "ppid"}) {
    std::string e = need(p, key, &json::is_number_integer, "an integer");
    if (!e.empty()) return where + e;
  }
  auto nspid = p.find("nspid");
  if (nspid == p.end() || !nspid->is_array() || nspid->empty())
    return where + "'nspid' must be a non-empty array of integers";
  for (const auto& n : *nspid)
    if (!is_int(n)) return where + "'nspid' must be a non-empty array of integers";
  for (const char* key : {"comm", "state"}) {
    std::string e = need(p, key, &json::is_string, "a string");
    if (!e.empty()) return where + e;
  }
  std::string e = optional(p, "uid", &json::is_number_integer, "an integer");
  if (e.empty()) e = optional(p, "ns", &json::is_object, "an object");
  if (!e.empty()) return where + e;
  return {};
}

std::string check_tree(const json& j) {
  BOXLAB_CHECK(need(j, "container", &json::is_string, "a string"));
  BOXLAB_CHECK(need(j, "root", &json::is_number_integer, "an integer"));
  BOXLAB_CHECK(need(j, "processes", &json::is_array, "an array"));
  const auto& procs = j["processes"];
  for (std::size_t i = 0; i < procs.size(); ++i) BOXLAB_CHECK(check_process(procs[i], i));
  return {};
}

std::string check_stats(const json& j) {
  BOXLAB_CHECK(need(j, "container", &json::is_string, "a string"));
  for (const char* key : {"memory", "pids", "cpu"})
    BOXLAB_CHECK(optional(j, key, &json::is_object, "an object"));
  BOXLAB_CHECK(optional(j, "frozen", &json::is_boolean, "a boolean"));
  return {};
}

std::string check_cgroup_event(const json& j) {
  BOXLAB_CHECK(need(j, "container", &json::is_string, "a string"));
  BOXLAB_CHECK(need(j, "event", &json::is_string, "a string"));
  BOXLAB_CHECK(need(j, "count", &json::is_number_integer, "an integer"));
  return {};
}

std::string check_reply(const json& j) {
  if (!j.contains("id")) return "missing 'id'";
  BOXLAB_CHECK(need(j, "ok", &json::is_boolean, "a boolean"));
  if (!j["ok"].get<bool>()) BOXLAB_CHECK(need(j, "error", &json::is_string, "a string"));
  return {};
}

std::string check_console_output(const json& j) {
  BOXLAB_CHECK(need(j, "session", &json::is_string, "a string"));
  BOXLAB_CHECK(need(j, "data", &json::is_string, "a string"));
  return {};
}

std::string check_console_closed(const json& j) {
  BOXLAB_CHECK(need(j, "session", &json::is_string, "a string"));
  BOXLAB_CHECK(optional(j, "exitCode", &json::is_number_integer, "an integer"));
  return {};
}

std::string check_log(const json& j) {
  BOXLAB_CHECK(need(j, "level", &json::is_string, "a string"));
  BOXLAB_CHECK(need(j, "message", &json::is_string, "a string"));
  return {};
}

// Lab events (docs/events.md "check.result", "lab.step"): what a client needs to place a
// result on its step and check.
std::string check_check_result(const json& j) {
  for (const char* key : {"lab", "step", "check", "status"})
    BOXLAB_CHECK(need(j, key, &json::is_string, "a string"));
  for (const char* key : {"title", "kind", "expected", "observed", "hint"})
    BOXLAB_CHECK(optional(j, key, &json::is_string, "a string"));
  for (const char* key : {"stepIndex", "points", "maxPoints"})
    BOXLAB_CHECK(optional(j, key, &json::is_number_integer, "an integer"));
  return {};
}

std::string check_lab_step(const json& j) {
  BOXLAB_CHECK(need(j, "lab", &json::is_string, "a string"));
  BOXLAB_CHECK(need(j, "step", &json::is_string, "a string"));
  BOXLAB_CHECK(need(j, "passed", &json::is_boolean, "a boolean"));
  for (const char* key : {"stepIndex", "points", "maxPoints"})
    BOXLAB_CHECK(optional(j, key, &json::is_number_integer, "an integer"));
  return {};
}

// The picture's parts are optional (a writer may leave out what it has none of), but each one
// that is there has the documented shape.
std::string check_net_topology(const json& j) {
  for (const char* key : {"networks", "bridges", "namespaces", "vethPairs", "ports"})
    BOXLAB_CHECK(optional(j, key, &json::is_array, "an array"));
  BOXLAB_CHECK(optional(j, "hostNetns", &json::is_object, "an object"));
  if (auto ns = j.find("namespaces"); ns != j.end() && ns->is_array())
    for (std::size_t i = 0; i < ns->size(); ++i) {
      const json& n = (*ns)[i];
      std::string where = "namespaces[" + std::to_string(i) + "]: ";
      if (!n.is_object()) return where + "must be an object";
      std::string e = need(n, "name", &json::is_string, "a string");
      if (e.empty()) e = optional(n, "interfaces", &json::is_array, "an array");
      if (!e.empty()) return where + e;
    }
  return {};
}

std::string check_image_layers(const json& j) {
  BOXLAB_CHECK(need(j, "container", &json::is_string, "a string"));
  BOXLAB_CHECK(need(j, "layers", &json::is_array, "an array"));
  const auto& layers = j["layers"];
  for (std::size_t i = 0; i < layers.size(); ++i) {
    std::string where = "layers[" + std::to_string(i) + "]: ";
    if (!layers[i].is_object()) return where + "must be an object";
    std::string e = need(layers[i], "index", &json::is_number_integer, "an integer");
    if (e.empty()) e = need(layers[i], "kind", &json::is_string, "a string");
    if (!e.empty()) return where + e;
  }
  BOXLAB_CHECK(optional(j, "source", &json::is_number_integer, "an integer or null"));
  BOXLAB_CHECK(optional(j, "entries", &json::is_array, "an array"));
  return {};
}

std::string check_image_progress(const json& j) {
  BOXLAB_CHECK(need(j, "source", &json::is_string, "a string"));
  BOXLAB_CHECK(need(j, "phase", &json::is_string, "a string"));
  BOXLAB_CHECK(need(j, "bytesDone", &json::is_number_integer, "an integer"));
  BOXLAB_CHECK(need(j, "layersDone", &json::is_number_integer, "an integer"));
  BOXLAB_CHECK(optional(j, "bytesTotal", &json::is_number_integer, "an integer or null"));
  BOXLAB_CHECK(optional(j, "layersTotal", &json::is_number_integer, "an integer or null"));
  BOXLAB_CHECK(optional(j, "images", &json::is_array, "an array"));
  BOXLAB_CHECK(optional(j, "error", &json::is_string, "a string"));
  return {};
}

// container.security: the parts a view reads are checked for shape; each may be absent.
std::string check_security(const json& j) {
  BOXLAB_CHECK(need(j, "container", &json::is_string, "a string"));
  BOXLAB_CHECK(optional(j, "pid", &json::is_number_integer, "an integer"));
  BOXLAB_CHECK(optional(j, "privileged", &json::is_boolean, "a boolean"));
  BOXLAB_CHECK(optional(j, "noNewPrivs", &json::is_boolean, "a boolean or null"));
  for (const char* key : {"capabilities", "seccomp", "devices"})
    BOXLAB_CHECK(optional(j, key, &json::is_object, "an object"));
  if (auto caps = j.find("capabilities"); caps != j.end() && caps->is_object()) {
    BOXLAB_CHECK(optional(*caps, "all", &json::is_array, "an array"));
    for (const char* set : {"inheritable", "permitted", "effective", "bounding", "ambient"}) {
      auto s = caps->find(set);
      if (s == caps->end()) continue;
      std::string where = std::string("capabilities.") + set + ": ";
      if (!s->is_object()) return where + "must be an object";
      std::string e = need(*s, "mask", &json::is_string, "a string");
      if (e.empty()) e = need(*s, "names", &json::is_array, "an array");
      if (!e.empty()) return where + e;
    }
  }
  if (auto sc = j.find("seccomp"); sc != j.end() && sc->is_object()) {
    for (const char* key : {"mode", "filters"}) {
      std::string e = optional(*sc, key, &json::is_number_integer, "an integer or null");
      if (!e.empty()) return "seccomp: " + e;
    }
    std::string e = optional(*sc, "profile", &json::is_string, "a string");
    if (!e.empty()) return "seccomp: " + e;
  }
  if (auto d = j.find("devices"); d != j.end() && d->is_object()) {
    std::string e = optional(*d, "rules", &json::is_array, "an array");
    if (!e.empty()) return "devices: " + e;
  }
  return {};
}

#undef BOXLAB_CHECK

const std::map<std::string, std::string (*)(const json&), std::less<>>& checks() {
  static const std::map<std::string, std::string (*)(const json&), std::less<>> table = {
      {"container.state", check_state},
      {"proc.tree", check_tree},
      {"cgroup.stats", check_stats},
      {"cgroup.event", check_cgroup_event},
      {"reply", check_reply},
      {"console.output", check_console_output},
      {"console.closed", check_console_closed},
      {"log", check_log},
      {"check.result", check_check_result},
      {"lab.step", check_lab_step},
      {"net.topology", check_net_topology},
      {"image.layers", check_image_layers},
      {"image.progress", check_image_progress},
      {"container.security", check_security},
  };
  return table;
}

std::optional<Event> fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return std::nullopt;
}

}  // namespace

std::optional<Event> parse_event(std::string_view line, std::string* error) {
  try {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty()) return fail(error, "empty line");
    if (!json_nesting_ok(line, kMaxJsonDepth))
      return fail(error, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return fail(error, "not JSON");
    if (!j.is_object()) return fail(error, "not a JSON object");
    auto v = j.find("v");
    if (v == j.end()) return fail(error, "missing 'v'");
    if (!v->is_number_integer()) return fail(error, "'v' must be an integer");
    if (v->get<std::int64_t>() != events::kSchemaVersion)
      return fail(error, "unsupported schema version " + std::to_string(v->get<std::int64_t>()));
    auto type = j.find("type");
    if (type == j.end()) return fail(error, "missing 'type'");
    if (!type->is_string() || type->get_ref<const std::string&>().empty())
      return fail(error, "'type' must be a non-empty string");
    auto t = j.find("t");
    if (t == j.end()) return fail(error, "missing 't'");
    bool t_ok = t->is_number_unsigned()
                    ? t->get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)
                    : t->is_number_integer() && t->get<std::int64_t>() >= 0;
    if (!t_ok) return fail(error, "'t' must be a non-negative integer (ns)");
    auto backend = j.find("backend");
    if (backend != j.end() && !backend->is_string())
      return fail(error, "'backend' must be a string");

    Event e;
    e.v = static_cast<int>(v->get<std::int64_t>());
    e.type = type->get<std::string>();
    e.t = t->get<std::int64_t>();
    if (backend != j.end()) e.backend = backend->get<std::string>();
    auto check = checks().find(e.type);
    if (check != checks().end()) {
      std::string problem = check->second(j);
      if (!problem.empty()) return fail(error, e.type + ": " + problem);
      e.known = true;
    }
    e.body = std::move(j);
    return e;
  } catch (const std::exception& ex) {
    return fail(error, std::string("bad event: ") + ex.what());
  }
}

}  // namespace boxlab::events
