// Helpers shared by boxlab's tests: a private --root that always cleans up, and running the CLI.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace boxlab::test {

struct Result {
  int status = -1;  // exit code, or 128+signal
  std::string out;
  std::string err;
};

// Runs argv[0] with args, optional stdin text; captures stdout/stderr.
Result run(const std::vector<std::string>& argv, const std::string& input = {});

// A private BOXLAB root under /tmp, unique per test. On destruction: `boxlab rm -f` every
// container, unmount anything left below it, remove it.
class TempRoot {
 public:
  TempRoot();
  ~TempRoot();
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Runs `boxlab --root PATH args...`.
  Result boxlab(const std::vector<std::string>& args, const std::string& input = {}) const;
  // Builds the base image once into this root (copied from a shared cache when possible).
  void ensure_base_image() const;

 private:
  std::filesystem::path path_;
};

bool is_root();
// The process exists and is not a zombie (an orphan's zombie may wait long for its reaper).
bool process_running(int pid);
// Mount points (from /proc/self/mountinfo) at or below dir.
std::vector<std::string> mounts_below(const std::filesystem::path& dir);
std::string trim(std::string s);

}  // namespace boxlab::test
