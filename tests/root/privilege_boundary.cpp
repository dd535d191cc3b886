// The engine's privilege boundary (issue 16): a root engine working for a learner (PKEXEC_UID
// set, as pkexec sets it) lets nothing the learner's account can write decide what root runs
// or reads. The learner here is uid 65534 with a folder of their own, where they plant a lab
// whose setup would leave a marker, a PATH directory with a fake `id`, and an image source only
// root could read if root read it for them. Each must be refused, and no marker may appear.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "boxlab/file.hpp"
#include "serve_child.hpp"
#include "test_support.hpp"

using boxlab::test::b64;
using boxlab::test::Result;
using boxlab::test::Serve;
using boxlab::test::TempRoot;
using boxlab::test::unb64;
using nlohmann::json;
namespace fsys = std::filesystem;

namespace {

constexpr uid_t kLearner = 65534;

// The learner's own folder (theirs: they may write anything below it), removed at the end.
struct LearnerDir {
  fsys::path path;
  LearnerDir() {
    std::string tmpl = "/tmp/boxlab-learner-XXXXXX";
    REQUIRE(mkdtemp(tmpl.data()));
    path = tmpl;
    REQUIRE(chmod(path.c_str(), 0755) == 0);
  }
  ~LearnerDir() {
    std::error_code ec;
    fsys::remove_all(path, ec);
  }
  // Writes a file as the learner would have (owned by them), mode `mode`.
  fsys::path plant(const std::string& rel, const std::string& text, mode_t mode = 0644) {
    fsys::path p = path / rel;
    fsys::create_directories(p.parent_path());
    boxlab::write_file_atomic(p, text, static_cast<int>(mode));
    for (fsys::path d = p; d != path; d = d.parent_path())
      REQUIRE(lchown(d.c_str(), kLearner, kLearner) == 0);
    REQUIRE(chown(path.c_str(), kLearner, kLearner) == 0);
    return p;
  }
};

// Sets the variables pkexec sets for the engine, and restores them.
struct AsPkexec {
  AsPkexec(const std::string& labs, const std::string& path) {
    setenv("PKEXEC_UID", std::to_string(kLearner).c_str(), 1);
    setenv("BOXLAB_LABS_DIR", labs.c_str(), 1);
    old_path = getenv("PATH");
    setenv("PATH", path.c_str(), 1);
    // The host shell without the tester's rc files (see serve_host_shell.cpp).
    if (const char* shell = getenv("SHELL")) old_shell = shell;
    setenv("SHELL", "/bin/sh", 1);
  }
  ~AsPkexec() {
    unsetenv("PKEXEC_UID");
    unsetenv("BOXLAB_LABS_DIR");
    setenv("PATH", old_path.c_str(), 1);
    if (old_shell.empty())
      unsetenv("SHELL");
    else
      setenv("SHELL", old_shell.c_str(), 1);
  }
  std::string old_path;
  std::string old_shell;
};

}  // namespace

TEST_CASE("a root engine working for a learner runs nothing the learner planted", "[root]") {
  TempRoot root;
  LearnerDir learner;
  fsys::path marker = learner.path / "ran-as-root";
  // A lab whose setup, if root ever ran it, leaves the marker.
  learner.plant(
      "labs/01-planted/lab.json",
      json{{"id", "01-planted"}, {"title", "Planted"}, {"summary", "x"}, {"steps", json::array()}}
          .dump());
  learner.plant("labs/01-planted/README.md", "# Planted\n\n`touch " + marker.string() + "`\n");
  // A PATH entry with a fake `id` that leaves the marker.
  learner.plant("bin/id", "#!/bin/sh\ntouch " + marker.string() + "\necho planted\n", 0755);
  learner.plant("secret-readable", "not an image\n");
  AsPkexec env((learner.path / "labs").string(),
               (learner.path / "bin").string() + ":/usr/sbin:/usr/bin:/sbin:/bin");

  Serve serve(root);
  json hello = serve.call({{"cmd", "hello"}});
  CHECK(hello["capabilities"]["privileged"] == true);
  CHECK(hello["capabilities"]["user"] == "nobody");

  // The planted labs: refused, naming why.
  json ls = serve.reply(serve.send({{"cmd", "lab.ls"}}));
  INFO(ls.dump());
  CHECK(ls["ok"] == false);
  CHECK(ls["error"].get<std::string>().find("not root's alone") != std::string::npos);
  CHECK(ls["error"].get<std::string>().find("owned by uid 65534") != std::string::npos);

  // The root shell's PATH leaves the learner's directory out, and says it is root's.
  json opened = serve.call({{"cmd", "host.shell"}, {"rows", 24}, {"cols", 80}});
  CHECK(opened["root"] == true);
  std::string path = opened["path"];
  CHECK(path.find(learner.path.string()) == std::string::npos);
  CHECK(path.find("/usr/bin") != std::string::npos);
  std::string session = opened["session"];
  serve.call(
      {{"cmd", "console.input"}, {"session", session}, {"data", b64("id -u; echo d\"\"one\n")}});
  std::string screen;
  while (screen.find("done") == std::string::npos) {
    json e = serve.wait_for([&](const json& line) {
      return line["type"] == "console.output" && line["session"] == session;
    });
    screen += unb64(e["data"].get<std::string>());
  }
  CHECK(screen.find("planted") == std::string::npos);
  CHECK(screen.find("0\r\n") != std::string::npos);  // the real id, as root

  // An import reads its source with the learner's rights: a root-only file is not theirs ...
  fsys::path root_only = root.path() / "root-only.tar";
  boxlab::write_file_atomic(root_only, "secret\n", 0600);
  json denied = serve.reply(serve.send({{"cmd", "image.import"}, {"source", root_only.string()}}));
  INFO(denied.dump());
  CHECK(denied["ok"] == false);
  CHECK(denied["error"].get<std::string>().find("as nobody") != std::string::npos);
  CHECK(denied["error"].get<std::string>().find("EACCES") != std::string::npos);
  // ... while a file of theirs is read (and refused for what it is, not for who reads it).
  json theirs = serve.reply(serve.send(
      {{"cmd", "image.import"}, {"source", (learner.path / "secret-readable").string()}}));
  INFO(theirs.dump());
  CHECK(theirs["ok"] == false);
  CHECK(theirs["error"].get<std::string>().find("EACCES") == std::string::npos);

  serve.call({{"cmd", "shutdown"}});
  CHECK(serve.wait_exit() == 0);
  CHECK_FALSE(fsys::exists(marker));
}

TEST_CASE("a root engine working for a learner keeps its state only in root-owned places",
          "[root]") {
  LearnerDir learner;
  learner.plant("state/.keep", "");
  setenv("PKEXEC_UID", std::to_string(kLearner).c_str(), 1);
  auto r = boxlab::test::run({BOXLAB_BIN, "--root", (learner.path / "state").string(), "serve"});
  unsetenv("PKEXEC_UID");
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find("root-owned place") != std::string::npos);
  CHECK(r.err.find("owned by uid 65534") != std::string::npos);
  CHECK(fsys::directory_iterator(learner.path / "state") != fsys::directory_iterator());
  CHECK_FALSE(fsys::exists(learner.path / "state" / "state"));
}

// `boxlab lab ...` as root for a learner (pkexec's PKEXEC_UID; the app's root host shell has it
// too), in a mount namespace of the test's own where /etc/passwd is a copy that gives uid 65534
// a home in the learner's folder (the machine's passwd is never changed).
Result lab_for_learner(const TempRoot& root, const fsys::path& home,
                       const std::vector<std::string>& args) {
  fsys::path passwd = root.path() / "passwd";
  std::string text = boxlab::read_file("/etc/passwd");
  text += "learner65534x:x:65534:65534::" + home.string() + ":/bin/sh\n";
  std::string kept;
  for (std::size_t at = 0; at < text.size();) {  // drop the machine's own line for 65534
    std::size_t end = text.find('\n', at);
    std::string line = text.substr(at, end - at + 1);
    at = end + 1;
    if (line.find(":x:65534:") == std::string::npos || line.rfind("learner65534x:", 0) == 0)
      kept += line;
  }
  boxlab::write_file_atomic(passwd, kept, 0644);
  std::vector<std::string> argv = {
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      "mount --bind \"$0\" /etc/passwd && exec \"$@\"",
      passwd.string(),
      "env",
      "-u",
      "BOXLAB_STATE_HOME",
      "PKEXEC_UID=65534",
      "BOXLAB_LABS_DIR=" + (fsys::path(BOXLAB_SOURCE_DIR) / "labs").string(),
      BOXLAB_BIN,
      "--root",
      root.path().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return boxlab::test::run(argv);
}

TEST_CASE("a root engine working for a learner keeps their lab progress in their home, as them",
          "[root]") {
  TempRoot root;
  root.ensure_base_image();
  LearnerDir learner;
  fsys::path home = learner.path / "home";
  learner.plant("home/.keep", "");
  fsys::path state = home / ".local" / "state" / "boxlab";

  Result r = lab_for_learner(root, home, {"lab", "check", "02", "--step", "1", "-o", "json"});
  INFO(r.out << r.err);
  REQUIRE(!r.out.empty());
  struct stat st {};
  REQUIRE(stat((state / "progress.json").c_str(), &st) == 0);
  CHECK(st.st_uid == kLearner);
  REQUIRE(stat((state / "labs" / "02-pid-namespace" / "answers").c_str(), &st) == 0);
  CHECK(st.st_uid == kLearner);
  // The work folder root's setup commands fill is root's, in the engine's state dir.
  CHECK_FALSE(fsys::exists(state / "labs" / "02-pid-namespace" / "work"));
  REQUIRE(stat((root.path() / "state" / "lab-work" / "65534").c_str(), &st) == 0);
  CHECK(st.st_uid == 0);

  // A link the learner plants where the progress goes leads root nowhere they cannot go: a
  // root-only file stays as it was, and the check says why it could not save.
  fsys::path secret = root.path() / "root-only";
  boxlab::write_file_atomic(secret, "root's\n", 0600);
  fsys::remove(state / "progress.json");
  fsys::create_symlink(secret, state / "progress.json");
  REQUIRE(lchown((state / "progress.json").c_str(), kLearner, kLearner) == 0);
  Result planted = lab_for_learner(root, home, {"lab", "check", "02", "--step", "1"});
  INFO(planted.out << planted.err);
  CHECK(planted.err.find("EACCES") != std::string::npos);
  CHECK(boxlab::read_file(secret) == "root's\n");
  CHECK(fsys::is_symlink(state / "progress.json"));
}
