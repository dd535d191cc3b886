// `run -d`: the keeper process that stays as the container's parent, so its exit code is
// recorded and --rm works after the CLI has returned.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"

namespace boxlab {

std::string Runtime::run_detached(spec::Spec spec, CreateOptions options, bool remove_on_exit) {
  Pipe result = Pipe::create();
  pid_t keeper = ::fork();
  if (keeper < 0) throw Error::system("fork the keeper");
  if (keeper == 0) {
    result.read.reset();
    ::setsid();
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      if (null > 2) ::close(null);
    }
    std::string message;
    int code = 0;
    try {
      options.log_output = true;
      Container c = create(std::move(spec), options);
      message = "OK " + c.state().name;
      ssize_t ignored = ::write(result.write.get(), message.data(), message.size());
      (void)ignored;
      result.write.reset();
      c.wait(!remove_on_exit);
      if (remove_on_exit) c.remove(true);
    } catch (const std::exception& e) {
      message = std::string("ERR ") + e.what();
      ssize_t ignored = ::write(result.write.get(), message.data(), message.size());
      (void)ignored;
      code = 1;
    }
    ::_exit(code);
  }
  result.write.reset();
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(result.read.get(), buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error::system("read from the keeper");
    }
    reply.append(buf, static_cast<size_t>(n));
  }
  if (reply.rfind("OK ", 0) == 0) return reply.substr(3);
  if (reply.rfind("ERR ", 0) == 0) throw Error(reply.substr(4));
  throw Error("the keeper process died before the container started");
}

}  // namespace boxlab
