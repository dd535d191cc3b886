// sha256 content digests ("sha256:<64 hex>") computed with libcrypto's EVP interface.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace boxlab::image {

// Incremental sha256: feed bytes as they stream past, then take the digest once.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // "sha256:<hex>"; the hasher is finished afterwards.
  std::string digest();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* ctx) const noexcept;
  };
  std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

// "sha256:<hex>" of `data`.
std::string sha256_digest(std::string_view data);

// The hex part of a digest, after checking it is "sha256:" + 64 lowercase hex digits
// (so it is safe to use as a file name). Throws Error naming the digest otherwise.
std::string digest_hex(std::string_view digest);

}  // namespace boxlab::image
