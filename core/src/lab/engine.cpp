// The check engine: runs a step's checks in order with needs, retries and timeouts, and turns
// each kind's verdict into a result with the next hint. Also renders {placeholders}.
#include <chrono>
#include <regex>
#include <thread>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "lab_internal.hpp"

namespace boxlab::lab {
namespace fsys = std::filesystem;
using detail::NotYet;
using nlohmann::json;

const char* const detail::kShellPrelude = "boxlab() { \"$BOXLAB_BIN\" \"$@\"; }\n";

std::string_view status_name(CheckStatus s) {
  switch (s) {
    case CheckStatus::pass:
      return "pass";
    case CheckStatus::fail:
      return "fail";
    case CheckStatus::error:
      return "error";
    case CheckStatus::blocked:
      return "blocked";
    case CheckStatus::timeout:
      return "timeout";
  }
  return "?";
}

bool StepReport::passed() const {
  for (const auto& r : results)
    if (r.status != CheckStatus::pass) return false;
  return !results.empty();
}

int StepReport::points() const {
  int n = 0;
  for (const auto& r : results) n += r.points;
  return n;
}

int StepReport::max_points() const {
  int n = 0;
  for (const auto& r : results) n += r.max_points;
  return n;
}

ContainerInfo detail::KindContext::container(const std::string& name, bool running) {
  auto info = probe.container(name);
  if (!info) throw NotYet("there is no container " + name + " (yet)");
  if (running && !info->running)
    throw NotYet("container " + name + " is not running (it stopped" +
                 (info->exit_code ? " with exit code " + std::to_string(*info->exit_code) : "") +
                 ")");
  return *info;
}

std::vector<std::string> detail::KindContext::command(const json& command, bool host) {
  if (command.is_string())
    return {"sh", "-c",
            std::string(host ? kShellPrelude : "") + render(command.get<std::string>())};
  std::vector<std::string> argv;
  for (const auto& a : command) argv.push_back(render(a.get<std::string>()));
  return argv;
}

Engine::Engine(Probe& probe, Options options) : probe_(probe), options_(options) {}

std::string Engine::render(const std::string& text, const Workspace& ws, bool live) {
  static const std::regex kPlaceholder(
      R"(\{(answers|work|labs|(pid|rootfs|answer|value|cgroup):([A-Za-z0-9][A-Za-z0-9_.-]*))\})");
  std::string out;
  auto begin = std::sregex_iterator(text.begin(), text.end(), kPlaceholder);
  std::size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out += text.substr(last, static_cast<std::size_t>(m.position()) - last);
    last = static_cast<std::size_t>(m.position() + m.length());
    std::string what = m[1].str(), fn = m[2].str(), arg = m[3].str();
    if (what == "answers") {
      out += ws.answers().string();
    } else if (what == "work") {
      out += ws.work().string();
    } else if (what == "labs") {
      out += ws.labs_dir.string();
    } else if (fn == "value") {
      out += ws.value(arg);
    } else if (fn == "cgroup") {
      out += cgroup_file(probe_, arg);  // the host's cgroup version's file for the metric
    } else if (!live) {
      out += m.str();
    } else if (fn == "answer") {
      // With the learner's rights: an answer linked to a file only root may read stays unread.
      fsys::path file = ws.answers() / arg;
      out +=
          detail::trim(detail::read_learner_file(file, "no answer in " + file.string() + " yet"));
    } else {
      auto info = probe_.container(arg);
      if (!info) throw NotYet("there is no container " + arg + " (yet)");
      out += fn == "pid" ? std::to_string(info->pid) : info->rootfs.string();
    }
  }
  return out + text.substr(last);
}

json Engine::render_values(const json& spec, const Workspace& ws) {
  static const std::regex kValue(R"(\{value:([A-Za-z0-9][A-Za-z0-9_.-]*)\})");
  if (spec.is_string()) {
    const std::string& text = spec.get_ref<const std::string&>();
    if (text.find("{value:") == std::string::npos) return spec;
    std::string out;
    std::size_t last = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), kValue);
         it != std::sregex_iterator(); ++it) {
      out += text.substr(last, static_cast<std::size_t>(it->position()) - last) +
             ws.value((*it)[1].str());
      last = static_cast<std::size_t>(it->position() + it->length());
    }
    return out + text.substr(last);
  }
  if (spec.is_array() || spec.is_object()) {
    json out = spec;
    for (auto& [key, item] : out.items()) item = render_values(item, ws);
    return out;
  }
  return spec;
}

CommandResult Engine::run_shell(const std::string& command, const Workspace& ws, double timeout) {
  std::string script;
  try {
    script = render(command, ws, true);
  } catch (const NotYet& e) {
    throw Error(e.what());
  }
  return probe_.run({"sh", "-c", std::string(detail::kShellPrelude) + script}, "", timeout);
}

CheckResult Engine::run_check(const Lab& lab, const Step& step, const Check& check,
                              const Workspace& ws, const std::map<std::string, CheckStatus>& done) {
  CheckResult r;
  r.id = check.id;
  r.title = check.title;
  r.kind = check.kind;
  r.max_points = check.points;
  r.hidden = check.visibility == Visibility::hidden;
  r.precondition = check.precondition;
  auto started = std::chrono::steady_clock::now();
  for (const auto& need : check.needs) {
    auto it = done.find(need);
    if (it != done.end() && it->second == CheckStatus::pass) continue;
    std::string title = need;
    for (const auto& c : step.checks)
      if (c.id == need) title = c.title;
    r.status = CheckStatus::blocked;
    r.expected = "'" + title + "' to pass first";
    r.observed = "'" + title + "' did not pass, so this was not checked";
    r.hint = "Fix '" + title + "' first.";
    return r;
  }
  const detail::KindDef* def = detail::find_kind(check.kind);
  // The learner's values go into every string of the check (regexes too) before it runs.
  Check mine = check;
  try {
    mine.spec = render_values(check.spec, ws);
  } catch (const std::exception& e) {
    r.status = CheckStatus::error;
    r.expected = check.title;
    r.observed = e.what();
    return r;
  }
  detail::KindContext ctx{*this, probe_, lab, ws, mine};
  bool final = false;
  int retries = options_.retry ? check.retries : 0;
  for (int attempt = 0; attempt <= retries && !final; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(options_.retry_delay);
    r.attempts = attempt + 1;
    try {
      detail::Verdict v = def->run(ctx);
      r.status = v.status;
      r.expected = std::move(v.expected);
      r.observed = std::move(v.observed);
    } catch (const NotYet& e) {
      r.status = CheckStatus::fail;
      r.expected = ctx.expected;
      r.observed = e.what();
      final = true;
    } catch (const std::exception& e) {
      r.status = CheckStatus::error;
      r.expected = ctx.expected;
      r.observed = e.what();
      final = true;
    }
    if (r.status == CheckStatus::pass) break;
  }
  r.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (r.status == CheckStatus::pass) {
    r.points = check.points;
  } else if (r.status == CheckStatus::error) {
    r.hint =
        "The lab environment looks broken (" + r.observed + "). `boxlab lab reset " + lab.number +
        "` removes this lab's containers and answers; then redo the steps (`boxlab lab solve " +
        lab.number + " --step N` does a step for you).";
  } else if (!check.hint.empty()) {
    r.hint = render(check.hint, ws, false);
  }
  if (r.expected.empty()) r.expected = check.title;
  return r;
}

std::string unmet_requirements(Probe& probe, const Lab& lab) {
  if (std::string why = probe.cannot_check(lab); !why.empty()) return why;
  for (const auto& req : lab.requirements) {
    if (req == "root" && !probe.is_root())
      return "this lab needs root (namespaces and mounts): run it with sudo";
    if (req == "userns" && !probe.userns_available())
      return "this lab needs user namespaces, which this kernel does not allow "
             "(/proc/sys/user/max_user_namespaces is 0)";
    if (req == "simulator") return "this lab needs the simulator, which is not available yet";
    if (req == "base-image" && !probe.has_image("base"))
      return "this lab needs the base image, which is not built yet: run `boxlab image "
             "build-base` once (it takes a few seconds), then check again";
  }
  return "";
}

StepReport Engine::check_step(const Lab& lab, std::size_t index, const Workspace& ws,
                              int hints_shown) {
  const Step& step = lab.steps.at(index);
  StepReport report;
  report.lab_id = lab.id;
  report.lab_number = lab.number;
  report.step = index;
  report.step_id = step.id;
  report.step_title = step.title;
  report.step_count = lab.steps.size();
  report.hints_total = static_cast<int>(step.hints.size());
  report.hints_shown = hints_shown;
  report.solved_by_solve = ws.solved(step.id);
  std::string unmet = unmet_requirements(probe_, lab);
  report.unmet = unmet;
  std::map<std::string, CheckStatus> done;
  for (const auto& check : step.checks) {
    if (check.visibility == Visibility::hidden && !options_.include_hidden) continue;
    if (!check_applies(check, probe_)) continue;  // a variant for the other cgroup layout
    CheckResult r;
    if (!unmet.empty()) {
      r.id = check.id;
      r.title = check.title;
      r.kind = check.kind;
      r.max_points = check.points;
      r.hidden = check.visibility == Visibility::hidden;
      r.precondition = check.precondition;
      r.status = CheckStatus::error;
      r.expected = check.title;
      r.observed = unmet;
      r.hint = unmet;
    } else {
      r = run_check(lab, step, check, ws, done);
    }
    // A failing check without its own hint offers the step's next hint.
    if ((r.status == CheckStatus::fail || r.status == CheckStatus::timeout) && r.hint.empty() &&
        !step.hints.empty()) {
      std::size_t h = std::min<std::size_t>(static_cast<std::size_t>(std::max(hints_shown, 0)),
                                            step.hints.size() - 1);
      r.hint = render(step.hints[h], ws, false);
    }
    done[r.id] = r.status;
    report.results.push_back(std::move(r));
  }
  return report;
}

}  // namespace boxlab::lab
