#include "blob_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "boxlab/error.hpp"
#include "boxlab/fault.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/image/digest.hpp"

namespace boxlab::registry {
namespace fs = std::filesystem;

namespace {

// Removes the temp file unless released (a failed or refused transfer leaves nothing).
struct PartFile {
  fs::path path;
  bool keep = false;
  ~PartFile() {
    if (!keep) ::unlink(path.c_str());
  }
};

}  // namespace

std::string sha256_of(const std::string& data) {
  return image::sha256_digest(data);
}

void fetch_blob(Client& client, const std::string& digest, std::uint64_t size, bool layer,
                const fs::path& dest, const std::function<void(std::uint64_t)>& on_bytes) {
  PartFile part{dest.string() + ".part"};
  Fd fd(::open(part.path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) throw Error::system("open " + part.path.string());
  image::Sha256 hasher;
  std::uint64_t got = 0;
  // What a killed pull left: hashed again (it is not trusted), then resumed after it.
  std::string buf(1 << 16, '\0');
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error::system("read " + part.path.string());
    if (n == 0) break;
    hasher.update(buf.data(), static_cast<std::size_t>(n));
    got += static_cast<std::uint64_t>(n);
  }
  bool resumed = got > 0 && got < size;
  if (got >= size) {  // nothing to resume from
    hasher = image::Sha256();
    got = 0;
    if (::ftruncate(fd.get(), 0) != 0) throw Error::system("truncate " + part.path.string());
  }
  bool first = true;
  HttpRequest req{.method = "GET", .url = "blobs/" + digest};
  if (resumed) req.headers.push_back("Range: bytes=" + std::to_string(got) + "-");
  req.on_status = [&](long status) {
    if (resumed && status == 206) return;
    // A whole body: start the file over.
    hasher = image::Sha256();
    got = 0;
    if (::ftruncate(fd.get(), 0) != 0 || ::lseek(fd.get(), 0, SEEK_SET) != 0)
      throw Error::system("truncate " + part.path.string());
  };
  req.sink = [&](const char* data, std::size_t n) {
    got += n;
    if (got > size)
      throw Error("blob " + digest + ": the registry sent more than the " + std::to_string(size) +
                  " bytes its descriptor says: refused");
    hasher.update(data, n);
    for (std::size_t off = 0; off < n;) {
      ssize_t w = ::write(fd.get(), data + off, n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw Error::system("write " + part.path.string());
      off += static_cast<std::size_t>(w);
    }
    if (first && layer) {
      first = false;
      fault_point("registry.pull.layer");
    }
    if (on_bytes) on_bytes(n);
  };
  HttpResponse r = client.send(req);
  if (r.status != 200 && r.status != 206) throw client.failure("GET blob " + digest, r);
  std::string have = hasher.digest();
  if (have != digest)
    throw Error(client.ref().registry + ": blob " + digest + " hashes to " + have +
                ": refused (the registry sent other bytes than the manifest names)");
  if (got != size)
    throw Error(client.ref().registry + ": blob " + digest + " has " + std::to_string(got) +
                " bytes, its descriptor says " + std::to_string(size) + ": refused");
  if (::fsync(fd.get()) != 0) throw Error::system("fsync " + part.path.string());
  fd = Fd();
  if (::rename(part.path.c_str(), dest.c_str()) != 0)
    throw Error::system("rename " + part.path.string());
  part.keep = true;
}

}  // namespace boxlab::registry
