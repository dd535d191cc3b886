// Image users by name: `User` of an image config (or `run --user`) as "name[:group]", looked
// up in the image's own /etc/passwd and /etc/group. The files are read from the merged view of
// the image's layers, resolving symlinks as if the image were the root (absolute targets and
// `..` stay inside it), and every open goes through openat2 beneath a layer dir with no
// symlinks, so an image can never make boxlab read a host file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <optional>
#include <sstream>

#include "beneath.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/image.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;

namespace {

constexpr int kMaxSymlinks = 40;                             // as the kernel's path walk
constexpr std::size_t kMaxFileBytes = std::size_t{4} << 20;  // passwd/group of any sane image

std::deque<std::string> split(const std::string& path) {
  std::deque<std::string> out;
  std::string part;
  std::istringstream in(path);
  while (std::getline(in, part, '/'))
    if (!part.empty() && part != ".") out.push_back(part);
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

Fd open_layer(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) throw Error::system("open " + dir.string());
  return fd;
}

// `path` with every symlink of the merged view resolved inside the image; none when some
// component does not exist.
std::optional<std::string> resolve_in_image(const std::vector<fs::path>& stack,
                                            const std::string& path) {
  std::deque<std::string> todo = split(path);
  std::vector<std::string> done;
  int links = 0;
  while (!todo.empty()) {
    std::string part = todo.front();
    todo.pop_front();
    if (part == "..") {
      if (!done.empty()) done.pop_back();  // ".." at the root stays at the root
      continue;
    }
    done.push_back(part);
    std::string rel = join(done);
    auto layer = source_layer(stack, rel);
    if (!layer) return std::nullopt;
    Fd root = open_layer(stack[*layer]);
    struct stat st;
    if (::fstatat(root.get(), rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      throw Error::system("stat /" + rel);
    if (!S_ISLNK(st.st_mode)) continue;
    if (++links > kMaxSymlinks) throw Error("/" + path + ": too many levels of symbolic links");
    auto [parent, name] = split_parent(rel);
    Fd dir = open_beneath(root.get(), parent, O_PATH | O_DIRECTORY);
    if (!dir) throw Error::system("open /" + parent);
    char target[4096];
    ssize_t n = ::readlinkat(dir.get(), name.c_str(), target, sizeof target);
    if (n < 0 || static_cast<std::size_t>(n) >= sizeof target)
      throw Error::system("read link /" + rel);
    std::string link(target, static_cast<std::size_t>(n));
    done.pop_back();
    if (link.starts_with('/')) done.clear();
    auto more = split(link);
    todo.insert(todo.begin(), more.begin(), more.end());
  }
  return join(done);
}

// The content of regular file `path` in the image; none when it does not exist.
std::optional<std::string> read_image_file(const std::vector<fs::path>& stack,
                                           const std::string& path) {
  auto rel = resolve_in_image(stack, path);
  if (!rel) return std::nullopt;
  auto layer = source_layer(stack, *rel);
  if (!layer) return std::nullopt;
  Fd fd = open_beneath(open_layer(stack[*layer]).get(), *rel, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (!fd) throw Error::system("open " + path + " (/" + *rel + " in the image)");
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw Error::system("stat " + path);
  if (!S_ISREG(st.st_mode)) throw Error(path + " in the image is not a regular file");
  if (static_cast<std::size_t>(st.st_size) > kMaxFileBytes)
    throw Error(path + " in the image is larger than 4 MiB");
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::read(fd.get(), data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error::system("read " + path);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  data.resize(got);
  return data;
}

std::optional<std::uint32_t> numeric_id(const std::string& text) {
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  unsigned long long v = std::stoull(text);
  if (v > 0xfffffffeULL) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

// Colon-separated fields of each non-comment line.
std::vector<std::vector<std::string>> records(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (;;) {
      auto colon = line.find(':', start);
      fields.push_back(line.substr(start, colon - start));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    out.push_back(std::move(fields));
  }
  return out;
}

struct UserSpec {
  std::string user;
  std::optional<std::string> group;
  bool numeric = false;  // both parts numeric ids: nothing to look up
};

UserSpec parse_spec(const std::string& spec) {
  UserSpec s;
  auto colon = spec.find(':');
  s.user = spec.substr(0, colon);
  if (colon != std::string::npos) s.group = spec.substr(colon + 1);
  if (s.user.empty() || (s.group && s.group->empty()) ||
      spec.find(':', colon + 1) != std::string::npos)
    throw Error("'" + spec + "' is not USER[:GROUP] (each a name or a numeric id)");
  s.numeric = numeric_id(s.user) && (!s.group || numeric_id(*s.group));
  return s;
}

// "1000" -> 1000:1000, "1000:50" -> 1000:50.
ImageUser numeric_user(const UserSpec& s) {
  std::uint32_t uid = *numeric_id(s.user);
  return {uid, s.group ? *numeric_id(*s.group) : uid, {}};
}

}  // namespace

ImageUser resolve_user(const std::vector<fs::path>& stack, const std::string& spec) {
  UserSpec s = parse_spec(spec);
  if (s.numeric) return numeric_user(s);
  const std::string& user = s.user;
  const std::string group = s.group.value_or("");

  ImageUser out;
  std::string name;  // the user's name, for supplementary groups
  if (auto uid = numeric_id(user)) {
    out.uid = *uid;
    out.gid = *uid;
  } else {
    auto passwd = read_image_file(stack, "/etc/passwd");
    if (!passwd)
      throw Error("user '" + user + "' not found: the image has no /etc/passwd (use a numeric id)");
    bool found = false;
    for (const auto& r : records(*passwd)) {
      if (r.size() < 4 || r[0] != user) continue;
      auto uid = numeric_id(r[2]);
      auto gid = numeric_id(r[3]);
      if (!uid || !gid) throw Error("/etc/passwd of the image: bad ids for user '" + user + "'");
      out.uid = *uid;
      out.gid = *gid;
      found = true;
      break;
    }
    if (!found) throw Error("user '" + user + "' not found in the image's /etc/passwd");
    name = user;
  }

  bool need_groups = !name.empty() || (!group.empty() && !numeric_id(group));
  std::vector<std::vector<std::string>> groups;
  if (need_groups) {
    auto text = read_image_file(stack, "/etc/group");
    if (text)
      groups = records(*text);
    else if (!group.empty() && !numeric_id(group))
      throw Error("group '" + group +
                  "' not found: the image has no /etc/group (use a numeric id)");
  }
  if (!group.empty()) {
    if (auto gid = numeric_id(group)) {
      out.gid = *gid;
    } else {
      bool found = false;
      for (const auto& r : groups) {
        if (r.size() < 3 || r[0] != group) continue;
        auto gid = numeric_id(r[2]);
        if (!gid) throw Error("/etc/group of the image: bad id for group '" + group + "'");
        out.gid = *gid;
        found = true;
        break;
      }
      if (!found) throw Error("group '" + group + "' not found in the image's /etc/group");
    }
  }
  // Supplementary groups: those listing the user as a member (as login and Docker do), but
  // only when no group was given explicitly.
  if (!name.empty() && group.empty()) {
    for (const auto& r : groups) {
      if (r.size() < 4) continue;
      auto gid = numeric_id(r[2]);
      if (!gid || *gid == out.gid) continue;
      std::istringstream members(r[3]);
      for (std::string m; std::getline(members, m, ',');)
        if (m == name) out.additional_gids.push_back(*gid);
    }
  }
  return out;
}

ImageUser resolve_user(const Image& image, const std::string& spec) {
  UserSpec s = parse_spec(spec);
  if (s.numeric) return numeric_user(s);  // nothing to look up in the image
  if (image.store.empty())
    throw Error("user '" + spec + "': image '" + image.name + "' has no store to look it up in");
  Store store(image.store);
  return resolve_user(store.layer_dirs(image), spec);
}

std::string home_of(const std::vector<fs::path>& stack, std::uint32_t uid) {
  std::optional<std::string> passwd;
  try {
    passwd = read_image_file(stack, "/etc/passwd");
  } catch (const Error&) {
    return "/";  // not a readable regular file: no home to take from it
  }
  if (!passwd) return "/";
  for (const auto& r : records(*passwd))
    if (r.size() >= 6 && numeric_id(r[2]) == uid && !r[5].empty()) return r[5];
  return "/";
}

}  // namespace boxlab::image
