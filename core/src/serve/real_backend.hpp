// The serve backend over the real runtime: containers it starts are its children (it reaps
// them, reports their exit, removes them on shutdown); monitors and sessions share its loop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "boxlab/container.hpp"
#include "boxlab/monitor.hpp"
#include "boxlab/serve.hpp"
#include "boxlab/sys/requester.hpp"
#include "image_import.hpp"
#include "image_pull.hpp"
#include "labs.hpp"
#include "pictures.hpp"
#include "sessions.hpp"

namespace boxlab::serve {

class Loop;
class Output;

class RealBackend final : public Backend {
 public:
  // root: --root as given (the labs' commands get it too).
  RealBackend(Paths paths, std::optional<std::filesystem::path> root, Loop& loop, Output& out,
              std::int64_t origin_ns);
  ~RealBackend() override;

  nlohmann::json capabilities() override;
  nlohmann::json run(const RunFlags& flags) override;
  void exec(const ExecRequest& request, Responder reply) override;
  void console_input(const std::string& session, const std::string& bytes) override;
  void console_resize(const std::string& session, unsigned rows, unsigned cols) override;
  void kill(const std::string& name, int signal) override;
  void remove(const std::string& name, bool force) override;
  nlohmann::json ps(bool all) override;
  nlohmann::json inspect(const std::string& name) override;
  void monitor(const std::string& name, bool on, double rate_hz) override;
  nlohmann::json image_ls() override;
  void lab(const LabRequest& request, Responder reply) override;
  bool net_topology(std::optional<bool> watch) override;
  void image_layers(const std::string& name, const std::optional<std::string>& path) override;
  nlohmann::json host_shell(unsigned rows, unsigned cols) override;
  void image_import(const ImageImportRequest& request, Responder reply) override;
  void image_pull(const ImagePullRequest& request, Responder reply) override;
  void shutdown() override;

 private:
  struct Owned {
    std::unique_ptr<Container> container;
    std::string id;
    pid_t pid = 0;
    bool remove_on_exit = false;
    std::string session;  // the container's console (run with tty)
  };
  void emit(const std::string& type, nlohmann::json body);
  void log(const std::string& level, const std::string& message);
  void on_exit(const std::string& name);
  void stop_monitor(const std::string& name);
  std::string resolve(const std::string& name_or_id);
  // The host shell follows the open lab: a `cd` to its answers folder, typed once the shell
  // waits at its prompt (never into a running command).
  void follow_lab_in_host_shell();

  std::optional<std::filesystem::path> root_;  // --root as given: the host shell's BOXLAB_ROOT
  sys::Requester requester_;                   // whom this engine works for
  Runtime runtime_;
  Loop& loop_;
  Output& out_;
  std::int64_t origin_ns_;
  Sessions sessions_;
  std::map<std::string, Owned> owned_;  // by container name
  std::map<std::string, std::unique_ptr<monitor::Monitor>> monitors_;
  LabService labs_;
  TopologyWatch topology_;
  ImageImportService imports_;
  ImagePullService pulls_;
  std::string host_shell_;                           // the last host.shell's session
  std::optional<std::filesystem::path> pending_cd_;  // where it should go next
  Fd cd_retry_;                                      // while a cd waits: a look every half second
};

}  // namespace boxlab::serve
