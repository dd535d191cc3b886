// `--emit k8s-jobs`: each manifest is a valid batch/v1 Job by the schema kept in
// tests/data/k8s (a client-side `kubectl --validate` needs an API server), checked here by a small
// validator of the JSON Schema keywords that schema uses. The validator is shown to reject
// broken Jobs too, so a pass means something.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"
#include "grade_json_schema.hpp"

namespace fs = std::filesystem;
namespace grade = boxlab::grade;
using nlohmann::json;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/boxlab-grade-k8s-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::vector<std::string> validate(const json& doc) {
  static const json schema =
      json::parse(boxlab::read_file(fs::path(BOXLAB_TEST_DATA) / "k8s/batch-v1-job.schema.json"));
  return boxlab::test::schema_errors(schema, doc);
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

TEST_CASE("emit k8s-jobs: one valid batch/v1 Job per submission") {
  TempDir dir;
  grade::Exercise ex =
      grade::load_exercise(fs::path(BOXLAB_SOURCE_DIR) / "exercises" / "02-pid-namespace");
  grade::K8sOptions opts;
  opts.image = "registry.example/boxlab-grader:0.1";
  opts.k8s_namespace = "cs-101";
  std::vector<fs::path> subs = {"class/Ana Lima.tar.gz", "class/bob_smith/",
                                "class/" + std::string(80, 'z') + ".zip"};
  auto files = grade::write_k8s_jobs(ex, subs, opts, dir.path / "jobs");
  REQUIRE(files.size() == 3);
  for (const auto& f : files) {
    json job = json::parse(boxlab::read_file(f));
    INFO(f << "\n" << job.dump(2));
    auto errors = validate(job);
    INFO(joined(errors));
    CHECK(errors.empty());
    CHECK(job["metadata"]["namespace"] == "cs-101");
    const json& c = job["spec"]["template"]["spec"]["containers"][0];
    CHECK(c["image"] == opts.image);
    CHECK(c["command"][1] == "grade");
    CHECK(job["spec"]["backoffLimit"] == 0);
  }
  json ana = json::parse(boxlab::read_file(files[0]));
  CHECK(ana["metadata"]["name"] == "grade-02-ana-lima");
  CHECK(ana["metadata"]["labels"]["boxlab/student"] == "Ana_Lima");
  // The pod grades the submission's file under the claim's mount.
  json cmd = ana["spec"]["template"]["spec"]["containers"][0]["command"];
  CHECK(std::find(cmd.begin(), cmd.end(), "/submissions/Ana Lima.tar.gz") != cmd.end());
  CHECK(files[0].filename() == "grade-02-ana-lima.json");

  // Two submissions that would share a Job name are refused, not overwritten.
  CHECK_THROWS(grade::write_k8s_jobs(ex, {"a/Bob", "b/bob"}, opts, dir.path / "dup"));
}

TEST_CASE("the Job schema validator rejects broken Jobs") {
  grade::Exercise ex =
      grade::load_exercise(fs::path(BOXLAB_SOURCE_DIR) / "exercises" / "02-pid-namespace");
  json good = grade::k8s_job(ex, "alice", {});
  REQUIRE(validate(good).empty());
  auto broken = [&](auto change) {
    json j = good;
    change(j);
    return validate(j);
  };
  CHECK(
      !broken([](json& j) { j["spec"]["template"]["spec"]["restartPolicy"] = "Always"; }).empty());
  CHECK(!broken([](json& j) { j["metadata"]["name"] = "Grade_Alice"; }).empty());
  CHECK(!broken([](json& j) { j["spec"]["backofLimit"] = 1; }).empty());
  CHECK(!broken([](json& j) { j["spec"].erase("template"); }).empty());
  CHECK(!broken([](json& j) {
           j["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"] =
               "256 MB";
         }).empty());
  CHECK(!broken([](json& j) { j["apiVersion"] = "batch/v1beta1"; }).empty());
}
