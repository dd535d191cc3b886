#include <yaml.h>

#include <cstdlib>
#include <memory>
#include <regex>

#include "boxlab/error.hpp"
#include "yaml.hpp"

namespace boxlab::kube {
using nlohmann::json;

namespace {

constexpr std::size_t kMaxBytes = 1 << 20;
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxNodes = 100000;

std::string mark_text(const yaml_mark_t& m) {
  return "line " + std::to_string(m.line + 1) + ", column " + std::to_string(m.column + 1);
}

}  // namespace

json resolve_plain(const std::string& s) {
  static const std::regex kInt("[-+]?[0-9]+"), kHex("0x[0-9a-fA-F]+"), kOct("0o[0-7]+"),
      kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  try {
    if (std::regex_match(s, kInt)) return std::stoll(s);
    if (std::regex_match(s, kHex)) return std::stoll(s.substr(2), nullptr, 16);
    if (std::regex_match(s, kOct)) return std::stoll(s.substr(2), nullptr, 8);
    if (std::regex_match(s, kFloat)) return std::stod(s);
  } catch (const std::out_of_range&) {
    return s;  // too big for a number: kept as written
  }
  return s;
}

namespace {

struct Parser {
  yaml_parser_t parser;
  Parser() {
    if (!yaml_parser_initialize(&parser)) throw Error("libyaml: cannot initialize a parser");
  }
  ~Parser() { yaml_parser_delete(&parser); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
};

struct Event {
  yaml_event_t event{};
  bool set = false;
  ~Event() {
    if (set) yaml_event_delete(&event);
  }
};

class Reader {
 public:
  Reader(std::string_view text, std::string source) : source_(std::move(source)) {
    yaml_parser_set_input_string(&p_.parser, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }

  YamlDocuments run() {
    YamlDocuments out;
    for (;;) {
      auto e = next();
      auto type = e->event.type;
      if (type == YAML_STREAM_END_EVENT) break;
      if (type == YAML_STREAM_START_EVENT || type == YAML_DOCUMENT_END_EVENT) continue;
      if (type != YAML_DOCUMENT_START_EVENT) fail(e->event.start_mark, "a document was expected");
      std::string prefix = "/" + std::to_string(out.documents.size());
      auto first = next();
      out.documents.push_back(node(*first, prefix, 0, out.where));
    }
    return out;
  }

 private:
  std::unique_ptr<Event> next() {
    auto e = std::make_unique<Event>();
    if (!yaml_parser_parse(&p_.parser, &e->event)) {
      std::string what = p_.parser.problem ? p_.parser.problem : "cannot parse";
      if (p_.parser.context) what = std::string(p_.parser.context) + ": " + what;
      fail(p_.parser.problem_mark, what);
    }
    e->set = true;
    return e;
  }

  [[noreturn]] void fail(const yaml_mark_t& m, const std::string& what) const {
    throw Error(source_ + ": " + mark_text(m) + ": " + what);
  }

  json node(const Event& e, const std::string& pointer, int depth,
            std::map<std::string, std::string>& where) {
    const yaml_event_t& ev = e.event;
    if (++nodes_ > kMaxNodes) fail(ev.start_mark, "more than 100000 nodes");
    if (depth > kMaxDepth) fail(ev.start_mark, "nested deeper than 64 levels");
    where.emplace(pointer, mark_text(ev.start_mark));  // a key's own place, when it has one
    switch (ev.type) {
      case YAML_ALIAS_EVENT:
        fail(ev.start_mark, "aliases (*name) are not accepted in a manifest");
      case YAML_SCALAR_EVENT: {
        if (ev.data.scalar.anchor) fail(ev.start_mark, "anchors (&name) are not accepted");
        if (ev.data.scalar.tag && !ev.data.scalar.plain_implicit && !ev.data.scalar.quoted_implicit)
          fail(ev.start_mark, "tags (!tag) are not accepted in a manifest");
        std::string value(reinterpret_cast<const char*>(ev.data.scalar.value),
                          ev.data.scalar.length);
        if (ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) return resolve_plain(value);
        return value;
      }
      case YAML_SEQUENCE_START_EVENT: {
        if (ev.data.sequence_start.anchor) fail(ev.start_mark, "anchors (&name) are not accepted");
        if (ev.data.sequence_start.tag && !ev.data.sequence_start.implicit)
          fail(ev.start_mark, "tags (!tag) are not accepted in a manifest");
        json list = json::array();
        for (;;) {
          auto item = next();
          if (item->event.type == YAML_SEQUENCE_END_EVENT) return list;
          list.push_back(
              node(*item, pointer + "/" + std::to_string(list.size()), depth + 1, where));
        }
      }
      case YAML_MAPPING_START_EVENT: {
        if (ev.data.mapping_start.anchor) fail(ev.start_mark, "anchors (&name) are not accepted");
        if (ev.data.mapping_start.tag && !ev.data.mapping_start.implicit)
          fail(ev.start_mark, "tags (!tag) are not accepted in a manifest");
        json map = json::object();
        for (;;) {
          auto key = next();
          if (key->event.type == YAML_MAPPING_END_EVENT) return map;
          if (key->event.type != YAML_SCALAR_EVENT)
            fail(key->event.start_mark, "a mapping key must be a plain value");
          std::string name(reinterpret_cast<const char*>(key->event.data.scalar.value),
                           key->event.data.scalar.length);
          if (name == "<<") fail(key->event.start_mark, "merge keys (<<) are not accepted");
          if (map.contains(name)) fail(key->event.start_mark, "the key '" + name + "' twice");
          std::string child = pointer + "/" + pointer_token(name);
          where[child] = mark_text(key->event.start_mark);
          auto value = next();
          map[name] = node(*value, child, depth + 1, where);
        }
      }
      default:
        fail(ev.start_mark, "unexpected YAML event");
    }
  }

  Parser p_;
  std::string source_;
  std::size_t nodes_ = 0;
};

}  // namespace

std::string pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

YamlDocuments read_yaml(std::string_view text, const std::string& source) {
  if (text.size() > kMaxBytes) throw Error(source + ": bigger than 1 MiB");
  return Reader(text, source).run();
}

}  // namespace boxlab::kube
