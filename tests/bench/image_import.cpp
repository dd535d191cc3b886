// Layer unpack speed: boxlab (one libarchive pass, sha256 verified on the way) against
// `tar -xf` and `umoci raw unpack` of the same uncompressed layer, side by side in one run;
// and what a user waits for: `boxlab image import` of a `docker save` archive holding that
// layer plus the first `boxlab run` of the image (the import unpacks, the run reuses it).
// Usage (as root, so owners are restored by all three):
//   build/tests/bench_image_import [--mb 100] [--runs 5] [--dir /var/tmp] [--keep 1]
// --dir /dev/shm measures the CPU cost alone (tmpfs: no disk); --keep 1 leaves the work dir
// (the layout, the archive app.tar, the store root/) for profiling an import by hand;
// --compare BIN also times import + first run with another boxlab binary (an older build, say),
// interleaved with this one's, so a busy machine's drift hits both alike.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "boxlab/file.hpp"
#include "boxlab/image.hpp"
#include "image_tar.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// A layer of about `mb` MB: a few big files, many small ones, dirs and symlinks, like an image.
std::string make_layer(std::size_t mb) {
  std::vector<boxlab::test::TarEntry> entries;
  std::string big(1 << 20, '\0'), small(8 << 10, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  for (std::size_t i = 0; i < small.size(); ++i) small[i] = static_cast<char>(i * 7);
  std::size_t big_files = mb * 8 / 10;  // 80% in 1 MB files, 20% in 8 kB files
  std::size_t small_files = (mb << 20) / 5 / small.size();
  entries.push_back({"usr/", AE_IFDIR, 0755});
  entries.push_back({"usr/lib/", AE_IFDIR, 0755});
  for (std::size_t i = 0; i < big_files; ++i) {
    big[0] = static_cast<char>(i);
    entries.push_back({"usr/lib/lib" + std::to_string(i) + ".so", AE_IFREG, 0755, 0, 0, big});
  }
  for (std::size_t d = 0; d * 100 < small_files; ++d) {
    std::string dir = "usr/share/d" + std::to_string(d) + "/";
    if (d == 0) entries.push_back({"usr/share/", AE_IFDIR, 0755});
    entries.push_back({dir, AE_IFDIR, 0755});
    for (std::size_t i = d * 100; i < std::min(small_files, d * 100 + 100); ++i) {
      small[0] = static_cast<char>(i);
      entries.push_back({dir + "f" + std::to_string(i), AE_IFREG, 0644, 1000, 1000, small});
      if (i % 10 == 0)
        entries.push_back(
            {dir + "l" + std::to_string(i), AE_IFLNK, 0777, 0, 0, "", "f" + std::to_string(i)});
    }
  }
  return boxlab::test::make_tar(entries);
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

int run_quiet(const std::vector<std::string>& argv) {
  return boxlab::test::run(argv).status;
}

// CPU seconds (user + system) of this process and of its waited-for children so far: on a
// busy shared machine the CPU a step costs is steadier than its wall time.
double cpu_now() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage ru{};
    ::getrusage(who, &ru);
    total += static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
             static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  }
  return total;
}

// Wall and CPU seconds of each run of one step.
struct Times {
  std::vector<double> wall, cpu;
  void add(Clock::time_point t0, double c0) {
    wall.push_back(seconds(Clock::now() - t0));
    cpu.push_back(cpu_now() - c0);
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mb = 100;
  int runs = 5;
  fs::path base = "/var/tmp";
  bool keep = false;
  std::string compare;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--mb"))
      mb = std::stoul(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--runs"))
      runs = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--dir"))
      base = argv[i + 1];
    else if (!std::strcmp(argv[i], "--compare"))
      compare = argv[i + 1];
    else if (!std::strcmp(argv[i], "--keep"))
      keep = std::strcmp(argv[i + 1], "0") != 0;
  }
  fs::path work = base / ("boxlab-bench-image-" + std::to_string(::getpid()));
  boxlab::make_dirs(work);
  try {
    std::string tar = make_layer(mb);
    std::string digest = boxlab::test::sha256(tar);
    fs::path layout = work / "layout";
    boxlab::test::write_oci_image(layout, "bench", {{tar, boxlab::test::kMediaLayerTar}},
                                  boxlab::test::make_config({digest}));
    fs::path blob = layout / "blobs/sha256" / boxlab::test::hex_of(digest);
    boxlab::image::Layer layer{digest, digest, boxlab::test::kMediaLayerTar, tar.size()};
    // A store with the base image, and an archive of base + the layer, to import and run.
    fs::path store = work / "root";
    auto boxlab_with = [&](const std::string& bin, std::vector<std::string> args) {
      args.insert(args.begin(), {bin, "--root", store.string()});
      return boxlab::test::run(args);
    };
    auto boxlab = [&](std::vector<std::string> args) {
      return boxlab_with(BOXLAB_BIN, std::move(args));
    };
    if (boxlab({"image", "build-base"}).status != 0)
      throw std::runtime_error("boxlab image build-base failed");
    auto base_digest =
        nlohmann::json::parse(boxlab({"image", "inspect", "base"}).out)["layers"][0]["digest"]
            .get<std::string>();
    fs::path archive = work / "app.tar";
    boxlab::test::write_docker_archive(
        archive, "bench-app",
        {boxlab::read_file(store / "images/blobs/sha256" / boxlab::test::hex_of(base_digest)),
         tar});
    bool have_umoci = run_quiet({"sh", "-c", "command -v umoci"}) == 0;
    std::printf("layer: %.1f MB uncompressed, in %s; %d runs each, medians\n",
                static_cast<double>(tar.size()) / 1e6, work.c_str(), runs);
    tar.clear();
    tar.shrink_to_fit();

    Times t_boxlab, t_tar, t_umoci, t_import, t_import_run, t_cmp, t_cmp_run;
    for (int r = 0; r < runs; ++r) {
      // Interleaved, so drift on a shared machine hits all three alike.
      fs::path dest = work / "out";
      boxlab::make_dirs(dest);
      auto t0 = Clock::now();
      double c0 = cpu_now();
      boxlab::image::unpack_layer(blob, layer, dest);
      t_boxlab.add(t0, c0);
      boxlab::remove_tree(dest);

      boxlab::make_dirs(dest);
      t0 = Clock::now();
      c0 = cpu_now();
      if (run_quiet({"tar", "-xf", blob.string(), "-C", dest.string()}) != 0)
        throw std::runtime_error("tar -xf failed");
      t_tar.add(t0, c0);
      boxlab::remove_tree(dest);

      // import + first run, as the user sees it (the image removed after, for the next round);
      // with --compare, the two builds take turns going first (the first import of a round
      // runs measurably slower, right after tar's tree is freed).
      auto import_run = [&](const std::string& bin, Times& import, Times& import_run) {
        auto t0 = Clock::now();
        double c0 = cpu_now();
        if (boxlab_with(bin, {"image", "import", archive.string()}).status != 0)
          throw std::runtime_error(bin + " image import failed");
        import.add(t0, c0);
        if (boxlab_with(bin, {"run", "--rm", "bench-app", "--", "true"}).status != 0)
          throw std::runtime_error(bin + " run failed");
        import_run.add(t0, c0);
        if (boxlab_with(bin, {"image", "rm", "bench-app"}).status != 0)
          throw std::runtime_error(bin + " image rm failed");
      };
      if (!compare.empty() && r % 2 == 1) import_run(compare, t_cmp, t_cmp_run);
      import_run(BOXLAB_BIN, t_import, t_import_run);
      if (!compare.empty() && r % 2 == 0) import_run(compare, t_cmp, t_cmp_run);

      if (have_umoci) {
        t0 = Clock::now();
        c0 = cpu_now();
        if (run_quiet({"umoci", "raw", "unpack", "--image", layout.string() + ":bench",
                       dest.string()}) != 0)
          throw std::runtime_error("umoci raw unpack failed");
        t_umoci.add(t0, c0);
        boxlab::remove_tree(dest);
      }
    }
    double mbytes = static_cast<double>(fs::file_size(blob)) / 1e6;
    double tar_s = median(t_tar.wall);
    double tar_cpu = median(t_tar.cpu);
    std::printf("%-28s %11s %11s %10s %14s\n", "", "wall", "cpu", "wall MB/s", "x tar's (w/cpu)");
    auto row = [&](const char* name, const Times& t, const char* note) {
      double s = median(t.wall), c = median(t.cpu);
      std::printf("%-28s %8.1f ms %8.1f ms %10.0f %6.2fx %5.2fx  %s\n", name, s * 1e3, c * 1e3,
                  mbytes / s, s / tar_s, c / tar_cpu, note);
    };
    row("boxlab unpack_layer", t_boxlab, "(sha256 verified in the same pass)");
    row("tar -xf", t_tar, "(no digest check)");
    if (have_umoci)
      row("umoci raw unpack", t_umoci, "(whole layout, digest verified)");
    else
      std::printf("umoci not installed: skipped\n");
    row("boxlab image import", t_import, "(docker save archive: layer + base, unpacked)");
    row("boxlab import + first run", t_import_run, "(the run reuses the import's unpack)");
    if (!compare.empty()) {
      row("--compare import", t_cmp, compare.c_str());
      row("--compare import + first run", t_cmp_run, compare.c_str());
    }
    std::printf("boxlab/tar time ratio: %.2f (<= 1 means boxlab is at least as fast)\n",
                median(t_boxlab.wall) / tar_s);
    std::printf("import+first-run/tar time ratio: %.2f (issue 16 asks for <= 1); CPU ratio %.2f\n",
                median(t_import_run.wall) / tar_s, median(t_import_run.cpu) / tar_cpu);
  } catch (const std::exception& e) {
    std::cerr << "bench_image_import: " << e.what() << "\n";
    boxlab::remove_tree(work);
    return 1;
  }
  if (keep)
    std::printf("kept %s\n", work.c_str());
  else
    boxlab::remove_tree(work);
  return 0;
}
