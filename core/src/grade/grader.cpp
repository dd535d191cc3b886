// Grading a submission: stage a copy, build it in one boxlab container, start its `mybox` in
// another, run the exercise's checks from outside (grade_probe.cpp), remove everything. The
// containers use the grader profile: a user namespace of their own (root inside is nobody on
// the host) with CAP_SYS_ADMIN there, so mybox can make namespaces, mount and pivot_root, and
// nothing more; no network; memory, pids and CPU limits; the host toolchain read-only; only
// the submission's copy writable. Hidden checks never enter a container: they run from here.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "boxlab/cgroup.hpp"
#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"
#include "boxlab/image.hpp"
#include "boxlab/paths.hpp"
#include "boxlab/run_spec.hpp"
#include "boxlab/seccomp.hpp"
#include "boxlab/sys/process.hpp"
#include "grade_internal.hpp"

namespace boxlab::grade {

namespace fsys = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kRootfsMarker = "MYBOX_ROOTFS";

// The grader's seccomp profile: Docker's default plus exactly the calls `mybox` must make
// (Docker allows most of them only with CAP_SYS_ADMIN, and pivot_root never). The user
// namespace keeps what they can reach to the container's own namespaces.
fsys::path write_grader_seccomp(const fsys::path& dir) {
  security::SeccompProfile p = security::docker_default_profile();
  security::SeccompRule mybox;
  mybox.names = {"unshare", "setns", "clone", "clone3", "mount", "umount2", "pivot_root"};
  mybox.action = security::SeccompAction::allow;
  p.rules.push_back(mybox);
  fsys::path file = dir / "grader-seccomp.json";
  write_file_atomic(file, security::profile_json(p));
  return file;
}

bool host_cgroup_v2() {
  try {
    return cgroup::detect() == cgroup::Layout::v2;
  } catch (const Error&) {
    return false;
  }
}

// The grader profile, as `boxlab run` flags.
std::vector<std::string> profile_flags(const Exercise& ex, const fsys::path& sub,
                                       const fsys::path& rootfs) {
  // Pure v2 delegates through a cgroup namespace rooted at the container's cgroup.
  std::string ns = "pid,mount,uts,ipc,net,user";
  if (!ex.cgroup_delegate.empty() && host_cgroup_v2()) ns += ",cgroup";
  std::vector<std::string> f = {
      "--net", "none", "--ns", ns, "--cap-add", "SYS_ADMIN", "--security-opt", "no-new-privileges",
      "--security-opt", "seccomp=" + (rootfs.parent_path() / "grader-seccomp.json").string(),
      // Nothing masked under /proc: a mybox that makes a user namespace of its own may mount a
      // fresh /proc only where the kernel sees all of the one it inherits. The grading
      // container's own user namespace keeps the unmasked files harmless (their writes need
      // the host's root).
      "--security-opt", "systempaths=unconfined", "--memory", ex.limits.memory, "--pids",
      std::to_string(ex.limits.pids), "--cpus", std::to_string(ex.limits.cpus), "--hostname",
      "grader", "-e", "PATH=/usr/local/bin:/usr/bin:/bin", "-e", "HOME=/sub", "-w", "/sub", "-v",
      sub.string() + ":/sub", "-v", rootfs.string() + ":/rootfs:ro"};
  // The grading container's own cgroup, handed to its root (mapped, never the host's), where
  // the exercise asks: mybox makes its cgroups below it and cannot raise the container's limits.
  if (!ex.cgroup_delegate.empty()) {
    std::string list;
    for (const auto& c : ex.cgroup_delegate) list += (list.empty() ? "" : ",") + c;
    f.push_back("--cgroup-delegate");
    f.push_back(list);
  }
  for (const auto& cap : ex.cap_add) {
    f.push_back("--cap-add");
    f.push_back(cap);
  }
  // The toolchain, read-only; /usr/share (where an installed boxlab keeps its exercises, hidden
  // checks included) stays out.
  for (const auto& dir : toolchain_dirs()) {
    f.push_back("-v");
    f.push_back(dir + ":" + dir + ":ro");
  }
  return f;
}

// Files of the copy owned by the container's root (the user namespace maps it to this id), so
// the build can write there.
void hand_over(const fsys::path& dir) {
  uid_t id = kDefaultIdBase;
  ::lchown(dir.c_str(), id, id);
  for (const auto& e : fsys::recursive_directory_iterator(dir)) ::lchown(e.path().c_str(), id, id);
}

struct Scratch {  // the submission's work dir, removed on every path
  fsys::path dir;
  ~Scratch() {
    std::error_code ec;
    fsys::remove_all(dir, ec);
  }
};

struct Container {  // a grading container, removed on every path
  std::vector<std::string> boxlab;
  std::string name;
  ~Container() {
    std::vector<std::string> argv = boxlab;
    for (const char* a : {"rm", "-f"}) argv.push_back(a);
    argv.push_back(name);
    try {
      run_limited(argv, 30, 64 * 1024);
    } catch (const Error&) {
    }
  }
};

std::string tail(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

void all_checks(Record& r, const Exercise& ex, const std::string& status) {
  r.checks.clear();
  for (const auto& step : ex.checks.steps) {
    const lab::Check& c = step.checks.front();
    CheckRecord cr;
    cr.id = c.id;
    cr.title = c.title;
    cr.kind = c.kind;
    cr.hidden = c.visibility == lab::Visibility::hidden;
    cr.status = status;
    cr.max_score = c.points;
    r.checks.push_back(cr);
  }
}

std::int64_t counter(const std::optional<nlohmann::json>& stats, const char* group,
                     const char* key) {
  if (!stats || !stats->contains(group) || !(*stats)[group].is_object()) return 0;
  const auto& g = (*stats)[group];
  return g.contains(key) && g[key].is_number() ? g[key].get<std::int64_t>() : 0;
}

// The engine speaks of containers and the host; here they are mybox's process and the grading
// container mybox runs in.
std::string plain(const Exercise& ex, std::string text) {
  auto replace = [&](const std::string& from, const std::string& to) {
    for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
      text.replace(at, from.size(), to);
  };
  for (const auto& t : ex.targets)
    replace(target_container(ex.number, t.name), "process '" + t.name + "' (" + t.match + ")");
  replace("there is no container process", "there is no process");
  replace(" on the host", " beside mybox");
  replace("the host's", "mybox's");
  replace("the host has", "mybox has");
  return text;
}

// The submission's overall status: pass when every check passed, else the first status that
// names something that happened (timeout, oom, ...), else fail.
std::string overall(const Record& r) {
  bool all_pass = std::all_of(r.checks.begin(), r.checks.end(),
                              [](const CheckRecord& c) { return c.status == "pass"; });
  if (all_pass) return "pass";
  for (const auto& c : r.checks)
    if (c.status != "pass" && c.status != "fail") return c.status;
  return "fail";
}

// One submission's grading, as its phases: stage, build, start the box, check. Each phase that
// ends the grading says why in the record and returns false.
struct Job {
  const Exercise& ex;
  const GradeOptions& opts;
  Record r;
  std::string tag = sys::random_hex(5);
  Scratch scratch;
  fsys::path sub = scratch.dir / "sub";
  std::vector<std::string> boxlab = boxlab_argv(opts.boxlab_bin, opts.root);
  std::vector<std::string> flags;

  Job(const Exercise& e, const GradeOptions& o, const fsys::path& submission)
      : ex(e), opts(o), scratch{o.work_dir / ("sub-" + tag)} {
    r.student = student_name(submission);
    r.exercise = ex.id;
    r.exercise_hash = ex.manifest_hash;
    r.boxlab_version = BOXLAB_VERSION;
    r.graded_at = sys::now_rfc3339();
    r.build_status = "skipped";
  }
  bool end(const std::string& status, const std::string& reason) {
    all_checks(r, ex, status);
    r.status = status;
    r.reason = reason;
    return false;
  }
  // `boxlab run ARGS... --name NAME FLAGS... IMAGE sh -c SCRIPT`
  std::vector<std::string> run_argv(std::initializer_list<const char*> args,
                                    const std::string& name, const std::string& script) const {
    std::vector<std::string> argv = boxlab;
    argv.push_back("run");
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--name");
    argv.push_back(name);
    argv.insert(argv.end(), flags.begin(), flags.end());
    for (const char* a : {opts.image.c_str(), "sh", "-c"}) argv.push_back(a);
    argv.push_back(script);
    return argv;
  }
};

bool stage(Job& job, const fsys::path& submission, const fsys::path& rootfs) {
  try {
    stage_submission(submission, job.sub);
  } catch (const Error& e) {
    return job.end("error", e.what());
  }
  job.r.submission_hash = tree_hash(job.sub);
  ::chmod(job.scratch.dir.c_str(), 0755);
  hand_over(job.sub);
  job.flags = profile_flags(job.ex, job.sub, rootfs);
  return true;
}

bool build(Job& job) {
  const Limits& limits = job.ex.limits;
  Container c{job.boxlab, "grade-" + job.tag + "-build"};
  const std::string& command = job.opts.build_command ? *job.opts.build_command : job.ex.build;
  Outcome b =
      run_limited(job.run_argv({"--rm"}, c.name, command), limits.build_seconds, limits.output);
  Record& r = job.r;
  r.build_output = tail(b.output, 8192);
  // Said in the record: what was graded was not built here.
  if (job.opts.build_command)
    r.build_output =
        "the exercise's build was replaced by --build-command: " + command + "\n" + r.build_output;
  if (b.timed_out) {
    r.build_status = "timeout";
    r.reason = "the build ran longer than " + std::to_string(int(limits.build_seconds)) + " s";
  } else if (b.output_exceeded) {
    r.build_status = "output-limit";
    r.reason = "the build wrote more than " + std::to_string(limits.output) + " bytes";
  } else if (auto why = b.status != 0 ? namespaces_refused(b.output) : std::nullopt) {
    r.build_status = "blocked";  // the host's fault, not the learner's
    r.reason = *why;
  } else if (b.status != 0) {
    r.build_status = "build-failed";
    r.reason = "the build exited with " + std::to_string(b.status);
  } else {
    r.build_status = "pass";
    return true;
  }
  return job.end(r.build_status, r.reason);
}

// Starts the grading container with the exercise's `run` in the background, then waits until
// every target runs, or nothing of the submission does any more.
bool start_box(Job& job, const Container& g, GradeProbe& probe) {
  // The box's own output goes nowhere: only what the checks observe counts. No --init: pid 1
  // is `sleep`, which is what a check of the surroundings' pid 1 shows (boxlab-init's command
  // line would show the grader's paths).
  Outcome d = run_limited(
      job.run_argv({"-d"}, g.name,
                   "(" + job.ex.run + ") </dev/null >/dev/null 2>&1 & exec sleep 100000"),
      60, 64 * 1024);
  if (d.status != 0 || d.timed_out) {
    if (auto why = namespaces_refused(d.output)) return job.end("blocked", *why);
    return job.end("error", "the grading container did not start: " + tail(d.output, 2000));
  }
  const auto& targets = job.ex.targets;
  auto start = Clock::now();
  auto limit = start + std::chrono::milliseconds(long(job.ex.limits.start_seconds * 1000));
  while (Clock::now() < limit) {
    bool all = std::all_of(targets.begin(), targets.end(),
                           [&](const Target& t) { return probe.find_target(t) != 0; });
    if (all) break;
    if (Clock::now() - start > std::chrono::milliseconds(300) && !probe.submission_running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return true;
}

CheckRecord to_record(const Exercise& ex, const lab::CheckResult& res) {
  CheckRecord cr;
  cr.id = res.id;
  cr.title = res.title;
  cr.kind = res.kind;
  cr.hidden = res.hidden;
  cr.status = std::string(lab::status_name(res.status));
  cr.score = res.points;
  cr.max_score = res.max_points;
  cr.expected = plain(ex, res.expected);
  cr.observed = plain(ex, res.observed);
  cr.hint = res.hint;
  cr.seconds = static_cast<double>(res.duration.count()) / 1000.0;
  return cr;
}

// From stage 2 on mybox makes namespaces: where a check did not pass and the host refuses them
// inside a grading container, the check is `blocked` with the reason, never a fail. The probe
// (one unshare of every kind mybox makes) runs in a fresh container of the same profile, where
// nothing of the submission runs: a submission cannot fake the host's refusal (the grading
// container's mount namespace is its own to change). Stage 1 (chroot) needs none.
void refused_namespaces(Job& job) {
  auto& checks = job.r.checks;
  bool any = std::any_of(checks.begin(), checks.end(), [](const CheckRecord& c) {
    return c.status == "fail" || c.status == "error";
  });
  if (job.ex.stage < 2 || !any) return;
  // A probe in a fresh container of the same profile: its exit status and output.
  auto probe = [&](const std::string& what, const std::string& script) {
    Container c{job.boxlab, "grade-" + job.tag + "-" + what};
    Outcome p = run_limited(job.run_argv({"--rm"}, c.name, script), 30, 64 * 1024);
    if (p.timed_out) p.status = -1;
    return p;
  };
  std::string script = "exec";
  for (const auto& a : namespace_probe_argv()) script += " " + a;
  Outcome ns = probe("probe", script);
  auto why = mybox_namespaces_refused(ns.status, ns.output);
  // Then what the exercise needs of the host's kernel besides namespaces.
  const auto& needs = job.ex.host_needs;
  if (!why && std::find(needs.begin(), needs.end(), "overlay-in-userns") != needs.end()) {
    Outcome ov = probe("overlay-probe", overlay_probe_script("/sub"));
    why = mybox_overlay_refused(ov.status, ov.output);
  }
  if (!why) return;
  for (auto& c : checks) {
    if (c.status != "fail" && c.status != "error") continue;
    c.status = "blocked";
    c.score = 0;
    c.observed = *why + (c.observed.empty() ? "" : "; observed: " + c.observed);
  }
  job.r.reason = *why;
}

// What the submission stacked over the grader's mounts in the grading container's own mount
// namespace (where the exec checks run), as a reason; nullopt when nothing (tamper.cpp).
std::optional<std::string> tampered_mounts(lab::Probe& live, const std::string& container) {
  auto c = live.container(container);
  if (!c || !c->running || c->pid <= 0) return std::nullopt;
  std::string info;
  try {
    info = read_file("/proc/" + std::to_string(c->pid) + "/mountinfo");
  } catch (const Error&) {
    return std::nullopt;  // it ended: its checks said so already
  }
  std::vector<std::string> found = mounts_over_grader(info);
  if (found.empty()) return std::nullopt;
  std::string list;
  for (const auto& f : found) list += (list.empty() ? "" : ", ") + f;
  return "mybox changed the grader's mounts inside the grading container: " + list +
         "; not graded (what the checks run and read there cannot be trusted)";
}

// Each check on its own, so the output cap, OOM kills and pids-limit hits seen while it ran
// are its own. The grading container's mounts are looked at before the checks and after: a
// submission that stacked its own over the toolchain or /sub is not graded, and is named.
void run_checks(Job& job, const Container& g, GradeProbe& probe) {
  std::unique_ptr<lab::Probe> live = lab::make_live_probe({job.opts.root, job.opts.boxlab_bin});
  lab::ContainerInfo gi;
  gi.name = g.name;
  if (auto why = tampered_mounts(*live, g.name)) {
    job.end("error", *why);
    return;
  }
  auto stats = [&]() -> std::optional<nlohmann::json> {
    try {
      return live->cgroup_stats(gi);
    } catch (const Error&) {
      return std::nullopt;
    }
  };
  lab::Engine engine(probe);
  lab::Workspace ws = lab::Workspace::for_lab(job.scratch.dir / "ws", job.ex.checks);
  ws.ensure();
  for (std::size_t i = 0; i < job.ex.checks.steps.size(); ++i) {
    auto before = stats();
    probe.take_output_exceeded();
    lab::StepReport rep = engine.check_step(job.ex.checks, i, ws);
    auto after = stats();
    CheckRecord cr = to_record(job.ex, rep.results.front());
    if (cr.status != "pass") {  // name what happened, when the limits saw it
      if (probe.take_output_exceeded())
        cr.status = "output-limit";
      else if (counter(after, "memory", "oom_kill") > counter(before, "memory", "oom_kill"))
        cr.status = "oom";
      else if (counter(after, "pids", "max_hits") > counter(before, "pids", "max_hits"))
        cr.status = "pids-exhausted";
    }
    job.r.checks.push_back(cr);
  }
  if (auto why = tampered_mounts(*live, g.name)) {
    job.end("error", *why);
    return;
  }
  refused_namespaces(job);
  job.r.status = overall(job.r);
}

// What the grade rests on besides the submission, taken before the batch: the exercise's checks
// (their hash) and the boxlab binary that runs the containers (its identity: device, inode,
// size and change time, so a rewrite or a replacement shows without hashing megabytes per
// submission). None of it is inside a grading container; this shows it stayed so.
struct Fixtures {
  std::string manifest;
  std::string boxlab_bin;
};

std::string file_identity(const fsys::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return "gone";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_ctim.tv_sec) + "." +
         std::to_string(st.st_ctim.tv_nsec);
}

// After a submission: a changed fixture makes its record an error that says which.
void verify_fixtures(Job& job, const Fixtures& before) {
  std::vector<std::string> changed;
  if (manifest_hash(job.ex.dir) != before.manifest)
    changed.push_back("the exercise's checks (" + job.ex.dir.string() + ")");
  if (file_identity(job.opts.boxlab_bin) != before.boxlab_bin)
    changed.push_back("the grader's binary (" + job.opts.boxlab_bin.string() + ")");
  if (changed.empty()) return;
  std::string list;
  for (const auto& c : changed) list += (list.empty() ? "" : ", ") + c;
  job.end("error",
          "changed while this submission was graded: " + list + "; grade again from a clean copy");
}

Record grade_one(const Exercise& ex, const fsys::path& submission, const GradeOptions& opts,
                 const fsys::path& rootfs, const Fixtures& fixtures) {
  Job job(ex, opts, submission);
  if (!stage(job, submission, rootfs)) return job.r;
  if (auto why = host_forbids_namespaces(opts.proc_sys)) {  // no container could start
    job.end("blocked", *why);
    return job.r;
  }
  if (!build(job)) return job.r;
  Container g{job.boxlab, "grade-" + job.tag};
  ProbeSetup ps{opts.boxlab_bin, opts.root, g.name, ex.number, ex.targets, ex.limits.output};
  std::unique_ptr<GradeProbe> probe = make_grade_probe(ps);
  if (!start_box(job, g, *probe)) return job.r;
  run_checks(job, g, *probe);
  verify_fixtures(job, fixtures);
  return job.r;
}

// The rootfs `mybox` gets at /rootfs: the image's files plus a marker only it has.
fsys::path prepare_rootfs(const GradeOptions& opts) {
  fsys::path dir = opts.work_dir / "rootfs";
  std::error_code ec;
  fsys::remove_all(dir, ec);
  std::vector<std::string> argv = boxlab_argv(opts.boxlab_bin, opts.root);
  for (const char* a : {"image", "inspect"}) argv.push_back(a);
  argv.push_back(opts.image);
  if (run_limited(argv, 60, 1 << 20).status != 0 && opts.image == "base") {
    argv = boxlab_argv(opts.boxlab_bin, opts.root);
    for (const char* a : {"image", "build-base"}) argv.push_back(a);
    Outcome o = run_limited(argv, 300, 1 << 20);
    if (o.status != 0) throw Error("build the base image for grading: " + o.output);
  }
  // A copy of the image's files (layers bottom first): mybox may mount on it, never change it.
  image::Store store(Paths::resolve(opts.root).images);
  std::vector<fsys::path> layers = store.layer_dirs(store.get(opts.image));
  fsys::create_directories(dir);
  for (auto it = layers.rbegin(); it != layers.rend(); ++it)
    fsys::copy(*it, dir,
               fsys::copy_options::recursive | fsys::copy_options::copy_symlinks |
                   fsys::copy_options::overwrite_existing);
  write_file_atomic(dir / kRootfsMarker, "mybox rootfs\n");
  ::chmod(opts.work_dir.c_str(), 0755);
  return dir;
}

// The exercise as this host grades it: of a check's variants for the two cgroup layouts
// ("cgroup_layout"), only the one for this host's layout (lab::check_applies), so each step is
// one check again; a check for the other layout alone is left out.
Exercise for_this_host(const Exercise& ex, const GradeOptions& opts) {
  Exercise here = ex;
  std::unique_ptr<lab::Probe> live = lab::make_live_probe({opts.root, opts.boxlab_bin});
  auto& steps = here.checks.steps;
  for (auto& step : steps)
    std::erase_if(step.checks, [&](const lab::Check& c) { return !lab::check_applies(c, *live); });
  std::erase_if(steps, [](const lab::Step& s) { return s.checks.empty(); });
  return here;
}

}  // namespace

std::vector<Record> grade(const Exercise& exercise, const std::vector<fsys::path>& submissions,
                          const GradeOptions& options) {
  GradeOptions opts = options;
  Exercise ex = for_this_host(exercise, opts);
  if (opts.work_dir.empty()) throw Error("grade: no work directory");
  fsys::create_directories(opts.work_dir);
  fsys::path rootfs = prepare_rootfs(opts);
  if (opts.seccomp)
    write_file_atomic(opts.work_dir / "grader-seccomp.json", read_file(*opts.seccomp));
  else
    write_grader_seccomp(opts.work_dir);
  Fixtures fixtures{manifest_hash(ex.dir), file_identity(opts.boxlab_bin)};
  if (fixtures.manifest != ex.manifest_hash)
    throw Error("grade: " + ex.dir.string() + " changed since it was loaded");
  std::vector<Record> out(submissions.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < submissions.size();) {
      try {
        out[i] = grade_one(ex, submissions[i], opts, rootfs, fixtures);
      } catch (const std::exception& e) {
        // Grading itself broke for this one: its record says so, the others go on.
        Record r;
        r.student = student_name(submissions[i]);
        r.exercise = ex.id;
        r.exercise_hash = ex.manifest_hash;
        r.boxlab_version = BOXLAB_VERSION;
        r.graded_at = sys::now_rfc3339();
        r.build_status = "skipped";
        all_checks(r, ex, "error");
        r.status = "error";
        r.reason = std::string("grading failed: ") + e.what();
        out[i] = r;
      }
    }
  };
  int jobs = std::clamp(opts.jobs, 1, 64);
  std::vector<std::thread> threads;
  for (int j = 1; j < jobs && static_cast<std::size_t>(j) < submissions.size(); ++j)
    threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  std::error_code ec;
  fsys::remove_all(rootfs, ec);
  return out;
}

}  // namespace boxlab::grade
