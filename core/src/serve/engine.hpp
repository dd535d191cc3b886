// serve's engine loop, whatever backend answers the commands: RealBackend over the runtime
// (real_backend.cpp's serve::run), or a simulator. The loop, the dispatcher and the output know
// the Backend interface only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "boxlab/serve.hpp"

namespace boxlab::serve {

class Loop;
class Output;

// Builds the backend once the loop and the output exist (it watches fds on the one and writes
// events to the other; origin_ns is `t`'s origin).
using MakeBackend =
    std::function<std::unique_ptr<Backend>(Loop& loop, Output& out, std::int64_t origin_ns)>;

// Runs until stdin closes, `shutdown`, or SIGTERM/SIGINT/SIGHUP; then shuts the backend down.
// `backend` names it in lines written before it exists. Returns the process exit code.
int run_engine(const Options& options, const std::string& backend, const MakeBackend& make);

}  // namespace boxlab::serve
