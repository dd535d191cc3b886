// The sealed memfd holding the exec stub (exec_stub.hpp).
#include "boxlab/process/exec_stub.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"

extern const unsigned char kExecStubImage[];
extern const std::size_t kExecStubImage_size;

namespace boxlab::process {
namespace {

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

Fd create_sealed_stub() {
  constexpr unsigned base = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  // MFD_EXEC asks for an executable memfd where vm.memfd_noexec exists (6.3+); older kernels
  // reject the flag and make every memfd executable.
  Fd fd(::memfd_create("boxlab-exec", base | MFD_EXEC));
  if (!fd && errno == EINVAL) fd = Fd(::memfd_create("boxlab-exec", base));
  if (!fd) throw Error::system("create boxlab's exec stub (memfd_create)");
  std::size_t done = 0;
  while (done < kExecStubImage_size) {
    ssize_t n = ::write(fd.get(), kExecStubImage + done, kExecStubImage_size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error::system("write boxlab's exec stub");
    done += static_cast<std::size_t>(n);
  }
  int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
  // F_SEAL_EXEC (6.3+) also freezes the mode bits; older kernels answer EINVAL.
  if (::fcntl(fd.get(), F_ADD_SEALS, seals | F_SEAL_EXEC) != 0 &&
      ::fcntl(fd.get(), F_ADD_SEALS, seals) != 0)
    throw Error::system("seal boxlab's exec stub");
  return fd;
}

}  // namespace

int exec_stub_fd() {
  static const Fd stub = create_sealed_stub();  // thread-safe, once per process
  return stub.get();
}

}  // namespace boxlab::process
