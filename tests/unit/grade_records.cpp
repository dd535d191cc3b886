// The grader without root: exercises load (every one in exercises/), a student pack leaves out
// hidden checks and solutions, submissions are staged safely (archives with `..`, links out),
// records sign and verify, and the reports have their documented shapes (Gradescope's
// results.json among them).
#include <archive.h>
#include <archive_entry.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <set>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"
#include "grade_json_schema.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace grade = boxlab::grade;
using nlohmann::json;

namespace {

const fs::path kExercises = fs::path(BOXLAB_SOURCE_DIR) / "exercises";

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/boxlab-grade-unit-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A tar with the given entries: {name, content}; content starting "->" makes a symlink.
void write_tar(const fs::path& file,
               const std::vector<std::pair<std::string, std::string>>& entries) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  REQUIRE(archive_write_open_filename(a, file.c_str()) == ARCHIVE_OK);
  for (const auto& [name, content] : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    if (content.rfind("->", 0) == 0) {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, content.substr(2).c_str());
      archive_entry_set_perm(e, 0777);
      archive_write_header(a, e);
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
      archive_write_header(a, e);
      archive_write_data(a, content.data(), content.size());
    }
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

grade::Record sample() {
  grade::Record r;
  r.student = "ada";
  r.exercise = "01-process-and-chroot";
  r.exercise_hash = std::string(64, 'a');
  r.submission_hash = std::string(64, 'b');
  r.boxlab_version = "0.1";
  r.graded_at = "2026-12-07T05:00:00Z";
  r.status = "fail";
  r.build_status = "pass";
  r.checks = {
      {"root", "Root is ROOTFS", "file", false, "pass", 2, 2, "e", "o", "", 0.1},
      {"exit", "Exit status", "exec", false, "fail", 0, 1, "exits 7", "exit 1", "waitpid", 0.2},
      {"kill", "Killed status", "exec", true, "timeout", 0, 1, "secret", "secret", "x", 1}};
  return r;
}

}  // namespace

TEST_CASE("every exercise loads, with visible and hidden checks and a target") {
  auto dirs = grade::exercise_dirs(kExercises);
  REQUIRE(dirs.size() >= 3);
  for (const auto& d : dirs) {
    INFO(d);
    grade::Exercise ex = grade::load_exercise(d);
    CHECK(!ex.build.empty());
    CHECK(!ex.targets.empty());
    CHECK(ex.manifest_hash.size() == 64);
    int visible = 0, hidden = 0;
    for (const auto& s : ex.checks.steps)
      (s.checks.front().visibility == boxlab::lab::Visibility::hidden ? hidden : visible)++;
    CHECK(visible > 0);
    CHECK(hidden > 0);
    CHECK(fs::exists(d / "README.md"));
    CHECK(fs::exists(d / "starter" / "mybox.cpp"));
    CHECK(fs::exists(d / "solution" / "mybox.cpp"));
    std::string readme = boxlab::read_file(d / "README.md");
    CHECK(readme.find("## Task") != std::string::npos);
    CHECK(readme.find("## What is checked") != std::string::npos);
    CHECK(readme.find("## Hints") != std::string::npos);
    CHECK(boxlab::read_file(d / "starter" / "mybox.cpp").find("TODO(stage") != std::string::npos);
  }
  CHECK(grade::find_exercise_dir(kExercises, "2").filename() == "02-pid-namespace");
  CHECK(grade::find_exercise_dir(kExercises, "mount-namespace").filename() == "03-mount-namespace");
  CHECK_THROWS_WITH(grade::find_exercise_dir(kExercises, "99"),
                    Catch::Contains("01-process-and-chroot"));
}

TEST_CASE("a check naming an unknown target or setting its own visibility is refused") {
  TempDir t;
  fs::path d = t.path / "copy" / "01-process-and-chroot";
  fs::create_directories(d.parent_path());
  fs::copy(kExercises / "01-process-and-chroot", d, fs::copy_options::recursive);
  boxlab::write_file_atomic(
      d / "checks" / "checks.json",
      R"({"checks":[{"id":"a","title":"A","kind":"pid1","process":"nobox"}]})");
  CHECK_THROWS_WITH(grade::load_exercise(d),
                    Catch::Contains("/checks/0/process") && Catch::Contains("no target 'nobox'"));
  boxlab::write_file_atomic(
      d / "checks" / "checks.json",
      R"({"checks":[{"id":"a","title":"A","kind":"pid1","process":"box","visibility":"visible"}]})");
  CHECK_THROWS_WITH(grade::load_exercise(d), Catch::Contains("/checks/0/visibility"));
}

TEST_CASE("exercise.json: cgroup_delegate and cap_add take only what a stage needs") {
  TempDir t;
  fs::path d = t.path / "copy" / "06-cgroups";
  fs::create_directories(d.parent_path());
  fs::copy(kExercises / "06-cgroups", d, fs::copy_options::recursive);
  grade::Exercise ok = grade::load_exercise(d);
  CHECK(ok.cgroup_delegate == std::vector<std::string>{"memory", "pids"});
  CHECK(ok.cap_add.empty());
  CHECK(grade::load_exercise(kExercises / "07-network").cap_add ==
        std::vector<std::string>{"NET_ADMIN"});
  json doc = json::parse(boxlab::read_file(kExercises / "06-cgroups" / "exercise.json"));
  doc["cgroup_delegate"] = {"memory", "cpu"};
  boxlab::write_file_atomic(d / "exercise.json", doc.dump());
  CHECK_THROWS_WITH(grade::load_exercise(d), Catch::Contains("/cgroup_delegate"));
  doc["cgroup_delegate"] = {"memory", "memory"};
  boxlab::write_file_atomic(d / "exercise.json", doc.dump());
  CHECK_THROWS_WITH(grade::load_exercise(d), Catch::Contains("named twice"));
  doc["cgroup_delegate"] = {"memory"};
  doc["cap_add"] = {"SYS_MODULE"};
  boxlab::write_file_atomic(d / "exercise.json", doc.dump());
  CHECK_THROWS_WITH(grade::load_exercise(d),
                    Catch::Contains("/cap_add") && Catch::Contains("only NET_ADMIN"));
}

TEST_CASE("exercise.json: host_needs names only what the grader can probe") {
  TempDir t;
  fs::path d = t.path / "copy" / "08-overlay-layers";
  fs::create_directories(d.parent_path());
  fs::copy(kExercises / "08-overlay-layers", d, fs::copy_options::recursive);
  CHECK(grade::load_exercise(d).host_needs == std::vector<std::string>{"overlay-in-userns"});
  CHECK(grade::load_exercise(kExercises / "07-network").host_needs.empty());
  json doc = json::parse(boxlab::read_file(kExercises / "08-overlay-layers" / "exercise.json"));
  doc["host_needs"] = {"btrfs"};
  boxlab::write_file_atomic(d / "exercise.json", doc.dump());
  CHECK_THROWS_WITH(grade::load_exercise(d),
                    Catch::Contains("/host_needs") && Catch::Contains("overlay-in-userns"));
}

TEST_CASE(
    "a student pack has the starter and visible checks, never hidden checks or the solution") {
  TempDir t;
  for (const auto& d : grade::exercise_dirs(kExercises)) {
    grade::Exercise ex = grade::load_exercise(d);
    fs::path out = t.path / ex.id;
    grade::pack_student(ex, out);
    CHECK(fs::exists(out / "exercise.json"));
    CHECK(fs::exists(out / "README.md"));
    CHECK(fs::exists(out / "starter" / "mybox.cpp"));
    CHECK(fs::exists(out / "checks" / "checks.json"));
    CHECK(!fs::exists(out / "hidden"));
    CHECK(!fs::exists(out / "solution"));
    // No hidden check's id appears anywhere in the pack.
    json hidden = json::parse(boxlab::read_file(d / "hidden" / "checks.json"));
    for (const auto& e : fs::recursive_directory_iterator(out)) {
      if (!e.is_regular_file()) continue;
      std::string text = boxlab::read_file(e.path());
      for (const auto& c : hidden["checks"])
        CHECK(text.find("\"" + c["id"].get<std::string>() + "\"") == std::string::npos);
    }
  }
  grade::Exercise ex = grade::load_exercise(kExercises / "01-process-and-chroot");
  CHECK_THROWS(grade::pack_student(ex, t.path / ex.id));  // not empty any more
}

TEST_CASE("submissions: archives with .. or links out are refused, good ones staged and hashed") {
  TempDir t;
  fs::path good = t.path / "good.tar";
  write_tar(good, {{"mybox.cpp", "int main(){}\n"}, {"src/a.h", "//\n"}, {"link", "->src/a.h"}});
  grade::stage_submission(good, t.path / "g");
  CHECK(boxlab::read_file(t.path / "g" / "mybox.cpp") == "int main(){}\n");
  CHECK(fs::is_symlink(t.path / "g" / "link"));
  std::string h = grade::tree_hash(t.path / "g");
  CHECK(h.size() == 64);
  grade::stage_submission(good, t.path / "g2");
  CHECK(grade::tree_hash(t.path / "g2") == h);
  boxlab::write_file_atomic(t.path / "g2" / "mybox.cpp", "int main(){return 1;}\n");
  CHECK(grade::tree_hash(t.path / "g2") != h);

  fs::path dots = t.path / "dots.tar";
  write_tar(dots, {{"mybox.cpp", "x"}, {"../evil", "pwned"}});
  CHECK_THROWS_WITH(grade::stage_submission(dots, t.path / "d" / "sub"),
                    Catch::Contains("../evil") && Catch::Contains(".."));
  CHECK(!fs::exists(t.path / "d" / "evil"));

  fs::path abs = t.path / "abs.tar";
  write_tar(abs, {{"/tmp/boxlab-grade-evil", "x"}});
  CHECK_THROWS_WITH(grade::stage_submission(abs, t.path / "a"), Catch::Contains("absolute"));
  CHECK(!fs::exists("/tmp/boxlab-grade-evil"));

  fs::path out_link = t.path / "link.tar";
  write_tar(out_link, {{"mybox.cpp", "->/etc/shadow"}});
  CHECK_THROWS_WITH(grade::stage_submission(out_link, t.path / "l"),
                    Catch::Contains("outside the submission"));
  fs::path up_link = t.path / "up.tar";
  write_tar(up_link, {{"a/b", "->../../x"}});
  CHECK_THROWS(grade::stage_submission(up_link, t.path / "u"));

  // A directory with a link to a host file.
  fs::create_directories(t.path / "dir");
  fs::create_symlink("/etc/passwd", t.path / "dir" / "mybox.cpp");
  CHECK_THROWS_WITH(grade::stage_submission(t.path / "dir", t.path / "dd"),
                    Catch::Contains("mybox.cpp") && Catch::Contains("/etc/passwd"));
  CHECK(grade::student_name("/x/ada.tar.gz") == "ada");
  CHECK(grade::student_name("/x/bob/") == "bob");
}

TEST_CASE("records sign and verify, and any change breaks the signature") {
  std::string key = "0123456789abcdef-instructor";
  json j = grade::signed_record(sample(), key);
  CHECK(j["signature"]["alg"] == "HMAC-SHA256");
  CHECK(grade::verify(j, key));
  CHECK(!grade::verify(j, key + "x"));
  json changed = j;
  changed["checks"][1]["score"] = 1;
  CHECK(!grade::verify(changed, key));
  changed = j;
  changed["submission_hash"] = std::string(64, 'c');
  CHECK(!grade::verify(changed, key));
  // Key order and spacing do not matter (canonical JSON).
  CHECK(grade::verify(json::parse(j.dump(4)), key));
  json unsigned_record = grade::to_json(sample());
  CHECK_THROWS_WITH(grade::verify(unsigned_record, key), Catch::Contains("no signature"));
  grade::Record back = grade::record_from_json(j);
  CHECK(back.score() == 2);
  CHECK(back.max_score() == 4);
  CHECK(back.checks[2].hidden);
  CHECK(j["score"] == 2);
  CHECK(j["max_score"] == 4);
}

TEST_CASE("the key is made once, private, and reused") {
  TempDir t;
  std::string k1 = grade::load_key(std::nullopt, t.path / "state");
  CHECK(k1.size() >= 32);
  CHECK((fs::status(t.path / "state" / "grade.key").permissions() & fs::perms::group_read) ==
        fs::perms::none);
  CHECK(grade::load_key(std::nullopt, t.path / "state") == k1);
  boxlab::write_file_atomic(t.path / "short", "abc");
  CHECK_THROWS(grade::load_key(t.path / "short", t.path));
}

TEST_CASE("Gradescope results.json has the documented shape") {
  json g = grade::render_gradescope(sample());
  REQUIRE(g["score"].is_number());
  CHECK(g["score"] == 2);
  REQUIRE(g["tests"].is_array());
  CHECK(g["tests"].size() == 3);
  static const std::set<std::string> visibilities = {"hidden", "after_due_date", "after_published",
                                                     "visible"};
  for (const auto& t : g["tests"]) {
    CHECK(t["name"].is_string());
    CHECK(t["score"].is_number());
    CHECK(t["max_score"].is_number());
    CHECK((t["status"] == "passed" || t["status"] == "failed"));
    CHECK(t["output"].is_string());
    CHECK(visibilities.count(t["visibility"].get<std::string>()));
  }
  CHECK(visibilities.count(g["visibility"].get<std::string>()));
  // A hidden check's details stay out of what students see.
  CHECK(g["tests"][2]["output"].get<std::string>().find("secret") == std::string::npos);
  CHECK(g["tests"][2]["output"].get<std::string>().find("timeout") != std::string::npos);
  for (const auto& [k, v] : g.items())
    CHECK(std::set<std::string>{"score", "output", "output_format", "visibility",
                                "stdout_visibility", "tests"}
              .count(k));
}

namespace {

// Gradescope's documented results.json as a JSON Schema (tests/data/gradescope).
std::vector<std::string> gradescope_errors(const json& doc) {
  static const json schema = json::parse(
      boxlab::read_file(fs::path(BOXLAB_TEST_DATA) / "gradescope" / "results.schema.json"));
  return boxlab::test::schema_errors(schema, doc);
}

std::string lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& l : v) out += l + "\n";
  return out;
}

}  // namespace

TEST_CASE("Gradescope results.json is valid by the documented schema, and the schema bites") {
  for (const std::string status : {"pass", "fail", "blocked", "timeout"}) {
    grade::Record r = sample();
    r.status = status;
    for (auto& c : r.checks) c.status = status;
    json g = grade::render_gradescope(r);
    INFO(g.dump(2));
    INFO(lines(gradescope_errors(g)));
    CHECK(gradescope_errors(g).empty());
  }
  // Documents Gradescope would not take, each for one reason the schema names.
  json good = grade::render_gradescope(sample());
  REQUIRE(gradescope_errors(good).empty());
  auto broken = [&](const std::function<void(json&)>& change, const std::string& named) {
    json d = good;
    change(d);
    auto errors = gradescope_errors(d);
    INFO(d.dump());
    INFO(lines(errors));
    CHECK(!errors.empty());
    CHECK(lines(errors).find(named) != std::string::npos);
  };
  broken([](json& d) { d["tests"][0]["status"] = "pass"; }, "/tests/0/status");
  broken([](json& d) { d["visibility"] = "public"; }, "/visibility");
  broken([](json& d) { d["tests"][1]["score"] = "1"; }, "/tests/1/score");
  broken([](json& d) { d["tests"][2]["tags"] = "timeout"; }, "/tests/2/tags");
  broken([](json& d) { d["tests"][0]["output_format"] = "markdown"; }, "/tests/0/output_format");
  broken([](json& d) { d["grade"] = 2; }, "/grade");
  broken([](json& d) { d["leaderboard"] = json::array({{{"value", 1}}}); }, "/leaderboard/0");
  broken(
      [](json& d) {
        d.erase("score");
        d["tests"][0].erase("score");
      },
      "anyOf");
  // A score on every test stands in for the total.
  json no_total = good;
  no_total.erase("score");
  CHECK(gradescope_errors(no_total).empty());
}

TEST_CASE("text, JUnit and CSV reports") {
  grade::Record r = sample();
  std::string text = grade::render_text({r});
  CHECK(text.find("ada: 01-process-and-chroot: 2/4 (fail)") != std::string::npos);
  CHECK(text.find("next: waitpid") != std::string::npos);
  CHECK(text.find("secret") == std::string::npos);  // hidden details
  CHECK(text.find("[timeout]") != std::string::npos);
  // A submission's text that looks like a report line stays indented and quoted.
  r.checks[1].observed = "x\nPASS  Exit status (1/1)";
  std::string faked = grade::render_text({r});
  CHECK(faked.find("\n  PASS  Exit status") == std::string::npos);

  std::string junit = grade::render_junit({sample()});
  CHECK(junit.find("tests=\"3\" failures=\"1\" errors=\"1\"") != std::string::npos);
  CHECK(junit.find("<error type=\"timeout\"") != std::string::npos);
  CHECK(junit.find("secret") == std::string::npos);

  grade::Record b = sample();
  b.student = "=cmd|' /C calc'!A0";
  std::string csv = grade::render_csv({sample(), b});
  CHECK(csv.find("student,exercise,status,\"root\",\"exit\",\"kill\",total,max\n") == 0);
  CHECK(csv.find("\"ada\",\"01-process-and-chroot\",\"fail\",2,0,0,2,4\n") != std::string::npos);
  CHECK(csv.find("\"'=cmd") != std::string::npos);  // no formula from a student's name
  CHECK(grade::parse_format("gradescope") == grade::Format::gradescope);
  CHECK_THROWS_WITH(grade::parse_format("xml"), Catch::Contains("junit"));
}

TEST_CASE("boxlab exercise ls and pack --student, through the CLI") {
  TempDir t;
  ::setenv("BOXLAB_EXERCISES_DIR", kExercises.c_str(), 1);
  boxlab::test::Result ls = boxlab::test::run({BOXLAB_BIN, "exercise", "ls"});
  CHECK(ls.status == 0);
  CHECK(ls.out.find("02-pid-namespace") != std::string::npos);
  boxlab::test::Result pack = boxlab::test::run(
      {BOXLAB_BIN, "exercise", "pack", "3", "--student", (t.path / "out").string()});
  INFO(pack.err);
  CHECK(pack.status == 0);
  CHECK(fs::exists(t.path / "out" / "starter" / "mybox.cpp"));
  CHECK(!fs::exists(t.path / "out" / "hidden"));
  CHECK(!fs::exists(t.path / "out" / "solution"));
  boxlab::test::Result bad =
      boxlab::test::run({BOXLAB_BIN, "grade", "verify", "/nonexistent.json"});
  CHECK(bad.status != 0);
  ::unsetenv("BOXLAB_EXERCISES_DIR");
}

TEST_CASE(
    "the Gradescope bundle: setup.sh, run_autograder, boxlab, the exercise without solution") {
  TempDir t;
  boxlab::write_file_atomic(t.path / "fake-boxlab", "#!/bin/sh\n");
  grade::Exercise ex = grade::load_exercise(kExercises / "01-process-and-chroot");
  fs::path zip = t.path / "autograder.zip";
  grade::write_gradescope_bundle(ex, t.path / "fake-boxlab", "k-0123456789abcdef", zip);
  std::map<std::string, std::pair<int, std::string>> entries;  // name -> mode, content
  archive* a = archive_read_new();
  archive_read_support_format_zip(a);
  REQUIRE(archive_read_open_filename(a, zip.c_str(), 16384) == ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string data(static_cast<std::size_t>(archive_entry_size(e)), '\0');
    archive_read_data(a, data.data(), data.size());
    entries[archive_entry_pathname(e)] = {archive_entry_perm(e), data};
  }
  archive_read_free(a);
  REQUIRE(entries.count("setup.sh"));
  REQUIRE(entries.count("run_autograder"));
  CHECK(entries["setup.sh"].first == 0755);
  CHECK(entries["run_autograder"].first == 0755);
  CHECK(entries["run_autograder"].second.find("--format gradescope") != std::string::npos);
  CHECK(entries["run_autograder"].second.find("/autograder/results/results.json") !=
        std::string::npos);
  CHECK(entries["boxlab"].second == "#!/bin/sh\n");
  CHECK(entries.count("exercise/exercise.json"));
  CHECK(entries.count("exercise/hidden/checks.json"));
  CHECK(entries.count("exercise/starter/mybox.cpp"));
  for (const auto& [name, entry] : entries) CHECK(name.find("solution") == std::string::npos);
}
