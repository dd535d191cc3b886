// Private to src/lab: JSON fields with their pointers (for validation errors), the check-kind
// table, and helpers shared by the kinds.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "boxlab/lab.hpp"
#include "boxlab/sys/act_as.hpp"

namespace boxlab::lab::detail {

// While it lives, this thread touches lab state (progress, answers, values) with the rights of
// the learner whose state it is (keep_state_for); nothing to do otherwise. Start no process in
// its scope.
sys::ActAs as_state_owner();

// A file the learner wrote (an answer, their fleet scenario): read with the learner's rights
// (as_state_owner), and only when it is a regular file of at most 1 MiB, so that a symlink to
// what only root may read, a FIFO or /dev/zero is an error naming the file, not a leak, a
// hang or a flood. NotYet(`if_missing`) when it does not exist.
std::string read_learner_file(const std::filesystem::path& file, const std::string& if_missing);

// A JSON value and its JSON pointer; every error says "<pointer>: <what>".
class Field {
 public:
  Field(const nlohmann::json& value, std::string pointer)
      : value_(&value), pointer_(std::move(pointer)) {}

  const nlohmann::json& json() const { return *value_; }
  const std::string& pointer() const { return pointer_; }
  [[noreturn]] void fail(std::string_view what) const;

  std::optional<Field> get(std::string_view key) const;  // null counts as absent
  Field require(std::string_view key) const;             // "<pointer>/<key>: missing"
  // Rejects members not listed (typos): "<pointer>/<key>: unknown field (known: ...)".
  void only(const std::vector<std::string_view>& allowed) const;

  std::vector<Field> items() const;  // array elements
  std::string string(bool allow_empty = false) const;
  bool boolean() const;
  std::int64_t integer(std::int64_t min, std::int64_t max) const;
  double number(double min, double max) const;
  std::vector<std::string> strings(bool allow_empty_list = true) const;
  void regex() const;                           // a string that compiles as an ECMAScript regex
  std::string container(const Lab& lab) const;  // a container name with the lab's prefix
  std::string ns_kind() const;                  // an OCI namespace kind name

 private:
  const nlohmann::json* value_;
  std::string pointer_;
};

// Thrown while running a check when what it looks at does not exist yet (no container, no
// answer file): the check fails (not an error) and retrying will not help.
class NotYet : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Verdict {
  CheckStatus status = CheckStatus::fail;
  std::string expected;
  std::string observed;
};

struct KindContext {
  Engine& engine;
  Probe& probe;
  const Lab& lab;
  const Workspace& ws;
  const Check& check;
  std::string expected;  // set by a kind before it may throw, so a NotYet still says it

  const nlohmann::json& spec() const { return check.spec; }
  std::string render(const std::string& text) { return engine.render(text, ws, true); }
  // The named container; NotYet when it does not exist (or does not run, with running=true).
  ContainerInfo container(const std::string& name, bool running = true);
  // A check's "command" (string: sh -c; array: argv) rendered; host commands get `boxlab`.
  std::vector<std::string> command(const nlohmann::json& command, bool host);
};

struct KindDef {
  std::string_view name;
  std::vector<std::string_view> fields;  // the kind's own fields, beside the common ones
  void (*validate)(const Field& check, const Lab& lab);
  Verdict (*run)(KindContext& ctx);
};
const KindDef* find_kind(std::string_view name);

void validate_exec(const Field& f, const Lab& lab);
Verdict run_exec(KindContext& ctx);
void validate_file(const Field& f, const Lab& lab);
Verdict run_file(KindContext& ctx);
void validate_namespace(const Field& f, const Lab& lab);
Verdict run_namespace(KindContext& ctx);
void validate_pid1(const Field& f, const Lab& lab);
Verdict run_pid1(KindContext& ctx);
void validate_proctree(const Field& f, const Lab& lab);
Verdict run_proctree(KindContext& ctx);
void validate_container(const Field& f, const Lab& lab);
Verdict run_container(KindContext& ctx);
void validate_answer(const Field& f, const Lab& lab);
Verdict run_answer(KindContext& ctx);
void validate_cgroup(const Field& f, const Lab& lab);
Verdict run_cgroup(KindContext& ctx);
// The simulated fleet, run by the engine from the lab's scenario and the learner's choices.
void validate_fleet(const Field& f, const Lab& lab);
Verdict run_fleet(KindContext& ctx);
// A cgroup metric ("memory.max") of the named container: nullopt is an unlimited limit. Throws
// NotYet without the container, Error when the metric cannot be read.
void validate_metric(const Field& metric);
std::optional<std::int64_t> read_metric(KindContext& ctx, const std::string& name,
                                        const std::string& metric);

// Helpers.
const std::regex& lab_dir_pattern();                               // NN-slug, groups: number, slug
bool search(const std::string& pattern, const std::string& text);  // ECMAScript, multiline
std::string trim(std::string_view text);
std::string quote(std::string_view text, std::size_t max = 160);  // 'one line', shortened
// Count predicates: 3, or {"min":1,"max":5}.
void validate_count(const Field& f);
bool count_matches(const nlohmann::json& want, std::int64_t n);
std::string describe_count(const nlohmann::json& want);

// The shell prelude for host commands: `boxlab` runs this boxlab ($BOXLAB_BIN).
extern const char* const kShellPrelude;

}  // namespace boxlab::lab::detail
