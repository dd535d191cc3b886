// `--emit k8s-jobs`: each manifest is a valid batch/v1 Job by the schema kept in
// tests/data/k8s (a client-side `kubectl --validate` needs an API server), checked here by a small
// validator of the JSON Schema keywords that schema uses. The validator is shown to reject
// broken Jobs too, so a pass means something.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>

#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"

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

// JSON Schema (draft 7) for the keywords the schema file uses: $ref (local), type, enum,
// required, properties, additionalProperties, propertyNames, items, minItems, minLength,
// maxLength, pattern, minimum, maximum. Appends "pointer: problem" lines to `errors`.
struct Validator {
  const json& root;
  std::vector<std::string> errors;

  void fail(const std::string& at, const std::string& what) {
    errors.push_back((at.empty() ? "/" : at) + ": " + what);
  }
  static bool has_type(const json& v, const std::string& t) {
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    if (t == "string") return v.is_string();
    if (t == "integer") return v.is_number_integer();
    if (t == "number") return v.is_number();
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    return false;
  }
  void check(const json& v, const json& s, const std::string& at) {
    if (s.contains("$ref")) {
      std::string ref = s["$ref"];
      REQUIRE(ref.rfind("#/", 0) == 0);
      check(v, root.at(json::json_pointer(ref.substr(1))), at);
      return;
    }
    if (s.contains("type") && !has_type(v, s["type"])) {
      fail(at, "not of type " + s["type"].get<std::string>());
      return;
    }
    if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end())
      fail(at, v.dump() + " is not one of " + s["enum"].dump());
    if (v.is_string()) {
      std::string str = v;
      if (s.contains("maxLength") && str.size() > s["maxLength"].get<std::size_t>())
        fail(at, "longer than " + s["maxLength"].dump());
      if (s.contains("minLength") && str.size() < s["minLength"].get<std::size_t>())
        fail(at, "shorter than " + s["minLength"].dump());
      if (s.contains("pattern") &&
          !std::regex_search(str, std::regex(s["pattern"].get<std::string>())))
        fail(at, "'" + str + "' does not match " + s["pattern"].get<std::string>());
    }
    if (v.is_number()) {
      if (s.contains("minimum") && v.get<double>() < s["minimum"].get<double>())
        fail(at, "below " + s["minimum"].dump());
      if (s.contains("maximum") && v.get<double>() > s["maximum"].get<double>())
        fail(at, "above " + s["maximum"].dump());
    }
    if (v.is_array()) {
      if (s.contains("minItems") && v.size() < s["minItems"].get<std::size_t>())
        fail(at, "fewer than " + s["minItems"].dump() + " items");
      if (s.contains("items"))
        for (std::size_t i = 0; i < v.size(); ++i)
          check(v[i], s["items"], at + "/" + std::to_string(i));
    }
    if (v.is_object()) {
      for (const auto& r : s.value("required", json::array()))
        if (!v.contains(r)) fail(at, "missing " + r.get<std::string>());
      for (const auto& [key, value] : v.items()) {
        std::string here = at + "/" + key;
        if (s.contains("propertyNames")) check(key, s["propertyNames"], here + " (name)");
        if (s.contains("properties") && s["properties"].contains(key))
          check(value, s["properties"][key], here);
        else if (s.contains("additionalProperties")) {
          const json& ap = s["additionalProperties"];
          if (ap.is_boolean()) {
            if (!ap.get<bool>()) fail(here, "not allowed here");
          } else {
            check(value, ap, here);
          }
        }
      }
    }
  }
};

std::vector<std::string> validate(const json& doc) {
  static const json schema =
      json::parse(boxlab::read_file(fs::path(BOXLAB_TEST_DATA) / "k8s/batch-v1-job.schema.json"));
  Validator v{schema, {}};
  v.check(doc, schema, "");
  return v.errors;
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
