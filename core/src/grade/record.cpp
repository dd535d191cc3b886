// Records: one canonical JSON object per graded submission, signed with HMAC-SHA256 under the
// instructor's key, so a changed score, check or hash shows (`boxlab grade verify`).
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"
#include "boxlab/sys/process.hpp"
#include "boxlab/text_encode.hpp"

namespace boxlab::grade {

namespace fsys = std::filesystem;
using nlohmann::json;

int Record::score() const {
  int s = 0;
  for (const auto& c : checks) s += c.score;
  return s;
}

int Record::max_score() const {
  int s = 0;
  for (const auto& c : checks) s += c.max_score;
  return s;
}

json to_json(const Record& r) {
  json checks = json::array();
  for (const auto& c : r.checks)
    checks.push_back({{"id", c.id},
                      {"title", c.title},
                      {"kind", c.kind},
                      {"visibility", c.hidden ? "hidden" : "visible"},
                      {"status", c.status},
                      {"score", c.score},
                      {"max_score", c.max_score},
                      {"expected", c.expected},
                      {"observed", c.observed},
                      {"hint", c.hint},
                      {"seconds", c.seconds}});
  return {{"v", 1},
          {"student", r.student},
          {"exercise", r.exercise},
          {"exercise_hash", r.exercise_hash},
          {"submission_hash", r.submission_hash},
          {"boxlab_version", r.boxlab_version},
          {"graded_at", r.graded_at},
          {"status", r.status},
          {"reason", r.reason},
          {"score", r.score()},
          {"max_score", r.max_score()},
          {"build", {{"status", r.build_status}, {"output", r.build_output}}},
          {"checks", checks}};
}

Record record_from_json(const json& j) {
  try {
    Record r;
    r.student = j.at("student");
    r.exercise = j.at("exercise");
    r.exercise_hash = j.at("exercise_hash");
    r.submission_hash = j.at("submission_hash");
    r.boxlab_version = j.at("boxlab_version");
    r.graded_at = j.at("graded_at");
    r.status = j.at("status");
    r.reason = j.value("reason", "");
    r.build_status = j.at("build").at("status");
    r.build_output = j.at("build").value("output", "");
    for (const auto& c : j.at("checks")) {
      CheckRecord cr;
      cr.id = c.at("id");
      cr.title = c.value("title", "");
      cr.kind = c.value("kind", "");
      cr.hidden = c.value("visibility", "visible") == "hidden";
      cr.status = c.at("status");
      cr.score = c.at("score");
      cr.max_score = c.at("max_score");
      cr.expected = c.value("expected", "");
      cr.observed = c.value("observed", "");
      cr.hint = c.value("hint", "");
      cr.seconds = c.value("seconds", 0.0);
      r.checks.push_back(std::move(cr));
    }
    return r;
  } catch (const json::exception& e) {
    throw Error(ErrorKind::bad_input, std::string("not a grade record: ") + e.what());
  }
}

std::string sign(const json& record, const std::string& key) {
  json body = record;
  body.erase("signature");
  std::string text = body.dump();  // sorted keys, no spaces: canonical
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(text.data()), text.size(), md, &len))
    throw Error("HMAC-SHA256 failed");
  return hex_encode(md, len);
}

json signed_record(const Record& r, const std::string& key) {
  json j = to_json(r);
  j["signature"] = {{"alg", "HMAC-SHA256"}, {"value", sign(j, key)}};
  return j;
}

bool verify(const json& record, const std::string& key) {
  if (!record.is_object() || !record.contains("signature") || !record["signature"].is_object() ||
      !record["signature"].contains("value") || !record["signature"]["value"].is_string())
    throw Error(ErrorKind::bad_input, "the record has no signature");
  if (record["signature"].value("alg", "") != "HMAC-SHA256")
    throw Error(ErrorKind::bad_input, "unknown signature algorithm (HMAC-SHA256 expected)");
  std::string want = sign(record, key), have = record["signature"]["value"];
  return want.size() == have.size() && CRYPTO_memcmp(want.data(), have.data(), want.size()) == 0;
}

std::string load_key(const std::optional<fsys::path>& file, const fsys::path& state_dir) {
  fsys::path path;
  if (file) {
    path = *file;
  } else if (const char* env = std::getenv("BOXLAB_GRADE_KEY_FILE"); env && *env) {
    path = env;
  } else {
    path = state_dir / "grade.key";
    if (!fsys::exists(path)) {
      fsys::create_directories(state_dir);
      // O_EXCL: two graders starting at once agree on one key (the loser reads the winner's).
      Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
      if (fd) {
        std::string key = sys::random_hex(32);
        if (::write(fd.get(), key.data(), key.size()) != static_cast<ssize_t>(key.size()))
          throw Error::system("write " + path.string());
      }
    }
  }
  std::string key =
      with_context("read the grading key " + path.string(), [&] { return read_file(path); });
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  if (key.size() < 16)
    throw Error(ErrorKind::bad_input, path.string() + ": a grading key needs at least 16 bytes");
  return key;
}

}  // namespace boxlab::grade
