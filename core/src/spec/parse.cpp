// parse() and parse_file(): the top level of config.json (ociVersion, root, hostname, mounts,
// annotations); process and linux have their own files.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/spec.hpp"
#include "json_pointer.hpp"
#include "parse_parts.hpp"

namespace boxlab::spec {

using detail::Node;

namespace {

std::string parse_oci_version(const Node& node) {
  std::string version = node.string();
  // Every 1.x release is backward compatible for the fields boxlab reads; 0.x and 2.x are not.
  if (version.rfind("1.", 0) != 0) {
    node.fail("unsupported version '" + version + "' (boxlab reads runtime-spec 1.x)");
  }
  return version;
}

Root parse_root(const Node& node) {
  node.expect_object();
  Root root;
  // Required by OCI; may be "" in boxlab's own specs, where the runtime fills in the image's.
  root.path = node.require("path").string();
  if (auto ro = node.get("readonly")) root.readonly = ro->boolean();
  return root;
}

std::string parse_hostname(const Node& node) {
  std::string name = node.string();
  // sethostname(2) fails with EINVAL beyond HOST_NAME_MAX; say so before the container starts.
  if (name.size() > 64) node.fail("longer than 64 characters");
  return name;
}

Mount parse_mount(const Node& node) {
  node.expect_object();
  Mount m;
  m.destination = node.require("destination").absolute_path();
  if (auto type = node.get("type")) m.type = type->string();
  if (auto source = node.get("source")) m.source = source->string();
  if (auto options = node.get("options")) m.options = options->strings();
  return m;
}

Hook parse_hook(const Node& node) {
  node.expect_object();
  Hook h;
  h.path = node.require("path").absolute_path();
  if (auto args = node.get("args")) h.args = args->strings();
  if (auto env = node.get("env")) h.env = env->strings();
  if (auto timeout = node.get("timeout")) {
    h.timeout = static_cast<int>(timeout->integer(1, 86400));
  }
  return h;
}

Hooks parse_hooks(const Node& node) {
  node.expect_object();
  Hooks hooks;
  const std::pair<const char*, std::vector<Hook>*> kinds[] = {
      {"prestart", &hooks.prestart},
      {"createRuntime", &hooks.create_runtime},
      {"createContainer", &hooks.create_container},
      {"startContainer", &hooks.start_container},
      {"poststart", &hooks.poststart},
      {"poststop", &hooks.poststop}};
  for (const auto& member : node.members()) {
    const std::string& key = member.first;
    const Node& node_value = member.second;
    auto it = std::find_if(std::begin(kinds), std::end(kinds),
                           [&key](const auto& k) { return key == k.first; });
    if (it == std::end(kinds))
      node_value.fail("unknown hook '" + key +
                      "' (expected prestart, createRuntime, createContainer, startContainer, "
                      "poststart or poststop)");
    for (const Node& item : node_value.items()) it->second->push_back(parse_hook(item));
  }
  return hooks;
}

std::map<std::string, std::string> parse_string_map(const Node& node) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : node.members()) out[key] = value.string();
  return out;
}

}  // namespace

Spec parse(const nlohmann::json& config) {
  const Node top(config, "");
  top.expect_object();

  Spec spec;
  spec.oci_version = parse_oci_version(top.require("ociVersion"));
  // OCI makes process optional for `create`, but boxlab always starts something.
  spec.process = detail::parse_process(top.require("process"));
  if (auto root = top.get("root")) spec.root = parse_root(*root);
  if (auto hostname = top.get("hostname")) spec.hostname = parse_hostname(*hostname);
  if (auto mounts = top.get("mounts")) {
    for (const Node& m : mounts->items()) spec.mounts.push_back(parse_mount(m));
  }
  if (auto linux_section = top.get("linux")) detail::parse_linux(*linux_section, spec);
  if (auto annotations = top.get("annotations")) spec.annotations = parse_string_map(*annotations);
  if (auto hooks = top.get("hooks")) spec.hooks = parse_hooks(*hooks);
  detail::check_consistency(top, spec);
  return spec;
}

namespace {

// nlohmann reports the byte offset of the last character it read; turn that into the line and
// column an editor shows (both 1-based), the way nlohmann's own message counts them.
std::pair<std::size_t, std::size_t> line_column(const std::string& text, std::size_t byte) {
  std::string_view read(text.data(), std::min(byte, text.size()));
  std::size_t line = 1 + static_cast<std::size_t>(std::count(read.begin(), read.end(), '\n'));
  auto nl = read.rfind('\n');
  std::size_t column = nl == std::string_view::npos ? read.size() : read.size() - nl - 1;
  if (byte > text.size()) ++column;  // unexpected end of input: one past the last character
  return {line, column};
}

// "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..." -> the
// part after the position.
std::string parse_error_detail(const nlohmann::json::parse_error& e) {
  std::string what = e.what();
  auto column = what.find("column ");
  auto colon = what.find(": ", column == std::string::npos ? 0 : column);
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

}  // namespace

Spec parse_file(const std::filesystem::path& config_json) {
  std::string text = read_file(config_json);
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    auto [line, column] = line_column(text, e.byte);
    throw Error("invalid JSON at line " + std::to_string(line) + ", column " +
                std::to_string(column) + ": " + parse_error_detail(e))
        .context(config_json.string());
  } catch (const nlohmann::json::out_of_range& e) {  // a number like 1e309 (found by fuzzing)
    throw Error(std::string("invalid JSON: ") + e.what()).context(config_json.string());
  }
  return with_context(config_json.string(), [&] { return parse(config); });
}

}  // namespace boxlab::spec
