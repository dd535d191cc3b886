#include "boxlab/image/digest.hpp"

#include <openssl/evp.h>

#include "boxlab/error.hpp"
#include "boxlab/text_encode.hpp"

namespace boxlab::image {

void Sha256::Free::operator()(evp_md_ctx_st* ctx) const noexcept {
  EVP_MD_CTX_free(ctx);
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
    throw Error("sha256: cannot initialise libcrypto digest");
}

void Sha256::update(const void* data, std::size_t size) {
  if (!ctx_) throw Error("sha256: update after digest");
  if (EVP_DigestUpdate(ctx_.get(), data, size) != 1) throw Error("sha256: update failed");
}

std::string Sha256::digest() {
  if (!ctx_) throw Error("sha256: digest taken twice");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) throw Error("sha256: final failed");
  ctx_.reset();
  return "sha256:" + hex_encode(md, len);
}

std::string sha256_digest(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.digest();
}

std::string digest_hex(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  bool ok = digest.size() == kPrefix.size() + 64 && digest.substr(0, kPrefix.size()) == kPrefix;
  for (std::size_t i = kPrefix.size(); ok && i < digest.size(); ++i) {
    char c = digest[i];
    ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  if (!ok) throw Error("invalid digest '" + std::string(digest) + "' (want sha256:<64 hex>)");
  return std::string(digest.substr(kPrefix.size()));
}

}  // namespace boxlab::image
