// ops::run, ops::run_detached: `boxlab run` and serve's "run", one flow.
#include "boxlab/image.hpp"
#include "boxlab/ops.hpp"
#include "boxlab/pod.hpp"

namespace boxlab::ops {
namespace {

struct RunPlan {
  spec::Spec spec;
  CreateOptions options;
};

RunPlan plan_run(Runtime& runtime, const RunFlags& flags) {
  image::Store store(runtime.paths().images);
  image::Image img = store.get(flags.image);
  RunPlan plan;
  if (!flags.pod.empty()) pod::check_run_flags(flags);
  plan.spec = build_run_spec(flags, img, plan.options);
  if (!flags.pod.empty()) pod::join(runtime, flags, plan.spec, plan.options);
  return plan;
}

}  // namespace

Started run(Runtime& runtime, const RunFlags& flags, RunOutput output) {
  RunPlan plan = plan_run(runtime, flags);
  std::optional<Pty> pty;
  if (flags.tty) {
    pty = Pty::open();
    plan.options.console_fd = pty->terminal.get();
  } else {
    plan.options.log_output = output == RunOutput::log;
  }
  Started started{runtime.create(std::move(plan.spec), plan.options), std::nullopt};
  if (pty) {
    pty->terminal.reset();  // the container holds it now; the master sees hang-up when it ends
    started.console = std::move(pty->master);
  }
  return started;
}

std::string run_detached(Runtime& runtime, const RunFlags& flags) {
  RunPlan plan = plan_run(runtime, flags);
  return runtime.run_detached(std::move(plan.spec), std::move(plan.options), flags.remove);
}

}  // namespace boxlab::ops
